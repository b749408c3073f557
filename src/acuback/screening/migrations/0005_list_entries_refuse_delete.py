"""Database triggers: medication, allergy, problem and result entries refuse DELETE (and
TRUNCATE on PostgreSQL); list reviews refuse UPDATE too (acuback.row_guards; issue #26
item 4: nothing clinical is hard-deleted)."""

from django.db import migrations

from acuback import row_guards


class Migration(migrations.Migration):
    dependencies = [("screening", "0004_medication_allergy_problem_lists_and_results")]
    operations = [migrations.RunPython(row_guards.create("screening_lists"),
                                       row_guards.drop("screening_lists"))]
