"""Database triggers: submitted questionnaire responses and outcome alerts refuse DELETE (and TRUNCATE on PostgreSQL) in the database
itself (acuback.row_guards; issue #25 re-test, point 3: nothing clinical is hard-deleted)."""

from django.db import migrations

from acuback import row_guards


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0006_episode_measure_responder_flags")]
    operations = [migrations.RunPython(row_guards.create("outcomes.records"),
                                       row_guards.drop("outcomes.records"))]
