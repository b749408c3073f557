"""Database triggers: audit events (which also refuse UPDATE) refuse DELETE (and TRUNCATE on PostgreSQL) in the database
itself, not only in the application (acuback.row_guards; issue #25 §8)."""

from django.db import migrations

from acuback import row_guards


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_hash_chain")]
    operations = [migrations.RunPython(row_guards.create("audit"), row_guards.drop("audit"))]
