"""The table of the rate limits' counters (settings.CACHES["limits"], acuback.web.limits):
every web worker and node counts a client's requests together."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    # Creates each database cache table that is missing, this one among them.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_limits_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name('acuback_limits')}")


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_shared_cache_table")]

    operations = [migrations.RunPython(create_cache_tables, drop_limits_table)]
