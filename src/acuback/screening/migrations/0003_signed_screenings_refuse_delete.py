"""Database triggers: signed screenings, referral clearances and acknowledgements refuse DELETE (and TRUNCATE on PostgreSQL) in the database
itself, not only in the application (acuback.row_guards; issue #25 §8)."""

from django.db import migrations

from acuback import row_guards


class Migration(migrations.Migration):
    dependencies = [("screening", "0002_clearance_per_finding_carried_forward")]
    operations = [migrations.RunPython(row_guards.create("screening"), row_guards.drop("screening"))]
