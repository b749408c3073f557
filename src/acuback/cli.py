"""The `acuback` command: Django's management commands, with dashes allowed.

`acuback serve` and `acuback seed-demo` are management commands of their own
(see accounts/management/commands and web/management/commands). `acuback init`
makes a new data folder where none is configured (`make run` does this for ./var).
"""

from __future__ import annotations

import os
import sys


def version_line() -> str:
    """acuback's own version first (Django's `--version` printed only Django's)."""
    import platform

    import django

    from acuback import __version__

    return (f"acuback {__version__} (Django {django.get_version()}, "
            f"Python {platform.python_version()})")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if args[1:] in (["--version"], ["version"]):
        print(version_line())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acuback.settings")
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    from acuback.env import DataFolderMissing, prepare_data_dir

    initialise = args[1:2] == ["init"]
    try:
        folder = prepare_data_dir(create=initialise)
    except DataFolderMissing as missing:
        sys.exit(f"acuback: {missing}")
    if initialise:
        print(f"Data folder ready: {folder}")
        return
    if len(args) > 1 and args[1] not in KEY_CHECKED_ELSEWHERE:
        _refuse_another_key(args[1])
    execute_from_command_line(args)


# `serve` and `worker` record and compare the key themselves; these write nothing signed
# or run before the database holds a key (a restore says what key its backup had).
KEY_CHECKED_ELSEWHERE = frozenset({
    "serve", "worker", "help", "--help", "-h", "check", "migrate", "showmigrations",
    "makemigrations", "sqlmigrate", "collectstatic", "restore", "version", "--version"})


def _refuse_another_key(command: str) -> None:
    """A command run with a key other than the installation's would sign audit events
    and links no node accepts (issue #31, operator drill: `setup` under a wrong key left
    two events the chain check rejects for ever). Stop before it runs. The first command
    that may sign anything records the key, as the first server or worker would: `setup`
    right after `migrate` must not sign under a key the services then refuse."""
    import django
    from django.apps import apps
    from django.db import DatabaseError

    if not apps.ready:  # in-process callers (tests) have set up, logging included
        django.setup()
    from acuback.web.installation_key import SecretKeyMismatch, agree_on_secret_key

    try:
        agree_on_secret_key()
    except SecretKeyMismatch as mismatch:
        sys.exit(f"acuback {command}: {mismatch}")
    except DatabaseError:
        return  # no database or no key table yet: nothing signed to disagree with


if __name__ == "__main__":
    main()
