"""When a clinic, location or practitioner last changed: FHIR meta.lastUpdated, the
_lastUpdated search and $export's _since (issue #30 §4). Existing rows take the time of
the migration, so the next _since export sends them once."""

import django.utils.timezone
from django.db import migrations, models


def _updated_at():
    return models.DateTimeField(auto_now=True, default=django.utils.timezone.now)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_staff_invitation_cancelled")]
    operations = [
        migrations.AddField(model_name="clinic", name="updated_at", field=_updated_at(),
                            preserve_default=False),
        migrations.AddField(model_name="location", name="updated_at", field=_updated_at(),
                            preserve_default=False),
        migrations.AddField(model_name="practitioner", name="updated_at", field=_updated_at(),
                            preserve_default=False),
    ]
