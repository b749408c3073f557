"""When a consent last changed (a withdrawal is recorded on the row): FHIR
meta.lastUpdated, the _lastUpdated search and $export's _since (issue #30 §4). Existing
rows take their withdrawal or signing time. SQLite rebuilds the table on AddField, which
drops its delete guard and trips the consent form's (it reads this table): both are
dropped first and created again after (row_guards)."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Coalesce

from acuback import row_guards


def _from_signature(apps, schema_editor):
    Consent = apps.get_model("patients", "Consent")
    Consent.objects.update(updated_at=Coalesce(F("withdrawn_at"), F("signed_at")))


class Migration(migrations.Migration):
    dependencies = [("patients", "0009_clinical_records_refuse_delete")]
    operations = [
        migrations.RunPython(row_guards.drop("patients"), row_guards.create("patients")),
        migrations.RunPython(row_guards.drop("patients.records"),
                             row_guards.create("patients.records")),
        migrations.AddField(model_name="consent", name="updated_at",
                            field=models.DateTimeField(auto_now=True,
                                                       default=django.utils.timezone.now),
                            preserve_default=False),
        migrations.RunPython(_from_signature, migrations.RunPython.noop),
        migrations.RunPython(row_guards.create("patients"), row_guards.drop("patients")),
        migrations.RunPython(row_guards.create("patients.records"),
                             row_guards.drop("patients.records")),
    ]
