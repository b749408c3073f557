"""Database triggers: signed sessions, their needle sets and insertions, and addenda (which also refuse UPDATE) refuse DELETE (and TRUNCATE on PostgreSQL) in the database
itself, not only in the application (acuback.row_guards; issue #25 §8)."""

from django.db import migrations

from acuback import row_guards


class Migration(migrations.Migration):
    dependencies = [("treatment", "0006_needle_site_angle_caution_ack_ea_pair_chest_check")]
    operations = [migrations.RunPython(row_guards.create("treatment"), row_guards.drop("treatment"))]
