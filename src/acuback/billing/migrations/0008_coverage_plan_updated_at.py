"""When a coverage plan last changed: FHIR meta.lastUpdated, the _lastUpdated search and
$export's _since (issue #30 §4). Existing rows take the time of the migration."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("billing", "0007_insurance_details_claims_and_remittance")]
    operations = [
        migrations.AddField(model_name="coverageplan", name="updated_at",
                            field=models.DateTimeField(auto_now=True,
                                                       default=django.utils.timezone.now),
                            preserve_default=False),
    ]
