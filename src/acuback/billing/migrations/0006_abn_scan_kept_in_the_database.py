"""ABN scans move from the node's disk (MEDIA_ROOT) into the database (issue #31 §5): a
scan written by one app server was unreadable on another and missing from backups."""

import hashlib
import os

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from acuback import row_guards

_TYPES = {b"%PDF": "application/pdf", b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def scans_into_the_database(apps, schema_editor):
    Abn = apps.get_model("billing", "Abn")
    AbnScan = apps.get_model("billing", "AbnScan")
    for abn in Abn.objects.exclude(scan=""):
        path = os.path.join(settings.MEDIA_ROOT, abn.scan.name)
        if not os.path.isfile(path):
            # Written on another node's disk: say which, so the operator can copy it in.
            print(f"\n  ABN {abn.pk}: scan {abn.scan.name} not on this node; not moved")
            continue
        with open(path, "rb") as handle:
            content = handle.read()
        kind = next((t for magic, t in _TYPES.items() if content.startswith(magic)),
                    "application/octet-stream")
        AbnScan.objects.create(abn=abn, content=content, size=len(content), media_type=kind,
                               sha256=hashlib.sha256(content).hexdigest(),
                               filename=os.path.basename(abn.scan.name)[:200])


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0005_abn_option_signed_day_and_scan'),
    ]

    operations = [
        migrations.CreateModel(
            name='AbnScan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('media_type', models.CharField(max_length=40)),
                ('content', models.BinaryField()),
                ('size', models.PositiveIntegerField()),
                ('sha256', models.CharField(max_length=64)),
                ('filename', models.CharField(blank=True, max_length=200)),
                ('abn', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='scan', to='billing.abn')),
            ],
        ),
        migrations.RunPython(scans_into_the_database, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='abn',
            name='scan',
        ),
        # After the table rebuild (SQLite drops a rebuilt table's triggers).
        migrations.RunPython(row_guards.create("billing.abn"), row_guards.drop("billing.abn")),
    ]
