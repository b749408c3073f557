"""Database triggers: patients, episodes of care, correction requests and consent form texts that have been signed refuse DELETE (and TRUNCATE on PostgreSQL) in the database
itself (acuback.row_guards; issue #25 re-test, point 3: nothing clinical is hard-deleted)."""

from django.db import migrations

from acuback import row_guards


class Migration(migrations.Migration):
    dependencies = [("patients", "0008_consent_signatures_refuse_delete")]
    operations = [migrations.RunPython(row_guards.create("patients.records"),
                                       row_guards.drop("patients.records"))]
