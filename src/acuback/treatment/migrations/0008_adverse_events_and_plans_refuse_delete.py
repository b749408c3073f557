"""Database triggers: adverse events and treatment plans refuse DELETE (and TRUNCATE on PostgreSQL) in the database
itself (acuback.row_guards; issue #25 re-test, point 3: nothing clinical is hard-deleted)."""

from django.db import migrations

from acuback import row_guards


class Migration(migrations.Migration):
    dependencies = [("treatment", "0007_signed_rows_refuse_delete")]
    operations = [migrations.RunPython(row_guards.create("treatment.records"),
                                       row_guards.drop("treatment.records"))]
