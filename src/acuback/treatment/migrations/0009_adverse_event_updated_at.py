"""When an adverse event last changed (its outcome is recorded later): FHIR
meta.lastUpdated, the _lastUpdated search and $export's _since (issue #30 §4). Existing
rows take their creation time. SQLite rebuilds the table on AddField, which drops its
delete guard: the guards are dropped first and created again after (row_guards)."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F

from acuback import row_guards


def _from_creation(apps, schema_editor):
    AdverseEvent = apps.get_model("treatment", "AdverseEvent")
    AdverseEvent.objects.update(updated_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("treatment", "0008_adverse_events_and_plans_refuse_delete")]
    operations = [
        migrations.RunPython(row_guards.drop("treatment.records"),
                             row_guards.create("treatment.records")),
        migrations.AddField(model_name="adverseevent", name="updated_at",
                            field=models.DateTimeField(auto_now=True,
                                                       default=django.utils.timezone.now),
                            preserve_default=False),
        migrations.RunPython(_from_creation, migrations.RunPython.noop),
        migrations.RunPython(row_guards.create("treatment.records"),
                             row_guards.drop("treatment.records")),
    ]
