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
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
