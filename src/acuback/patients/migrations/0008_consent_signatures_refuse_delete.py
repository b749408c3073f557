"""Database triggers: consent signatures refuse DELETE (and TRUNCATE on PostgreSQL) in the database
itself, not only in the application (acuback.row_guards; issue #25 §8)."""

from django.db import migrations

from acuback import row_guards


class Migration(migrations.Migration):
    dependencies = [("patients", "0007_episode_date_precision")]
    operations = [migrations.RunPython(row_guards.create("patients"), row_guards.drop("patients"))]
