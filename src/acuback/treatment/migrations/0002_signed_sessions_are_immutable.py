"""Database triggers: a signed session, its needle sets and insertions never change.

The services refuse first, with a message; these triggers make the rule hold for
any other write path too (the ORM, the admin, a shell, raw SQL): no UPDATE of a
signed session, and no INSERT or UPDATE of its needling rows.

Deletion is refused by the application (no delete path; the admin cannot
delete; addenda and adverse events PROTECT the session), not by a trigger, so
that a test database can be flushed and a lawful erasure can be carried out by
a database administrator (docs/decisions/0025-immutability-in-the-database.md).
"""

from django.db import migrations

from acuback.treatment.migrations import _triggers  # noqa: E402


class Migration(migrations.Migration):
    dependencies = [("treatment", "0001_initial")]
    operations = [migrations.RunPython(_triggers.create, _triggers.drop)]
