"""Tiny typed helpers that read settings from environment variables."""

from __future__ import annotations

import os
import re
import secrets
from functools import lru_cache
from pathlib import Path


def env_str(name: str, default: str = "") -> str:
    """The variable's value; unset or empty gives the default."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if value and not re.fullmatch(r"-?[0-9]+", value):  # int() would take "١٥"
        raise ValueError(f"{name} must be a whole number written with the digits 0-9")
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


_RATE = re.compile(r"(\d+)/(\d*)([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_rate(name: str, default: str) -> str | None:
    """A rate limit such as `5/h` or `20/10m` (count / period of s, m, h or d, at most
    a day); `off` for none. A malformed value stops the start with a message."""
    value = os.environ.get(name, "").strip().lower() or default
    if value == "off":
        return None
    match = _RATE.fullmatch(value)
    if match is None or int(match[1]) < 1 or \
            int(match[2] or 1) * _SECONDS[match[3]] > _SECONDS["d"]:
        raise ValueError(f"{name}={value!r}: write a rate such as 5/h or 20/10m "
                         "(at most a day), or off")
    return value


def secret_key(data_dir: Path) -> str:
    """ACUBACK_SECRET_KEY, or a key generated once and kept in the data folder."""
    configured = os.environ.get("ACUBACK_SECRET_KEY", "").strip()
    if configured:
        return configured
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting at once must not write two different keys.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def lazy_secret_key():
    """The secret key, read (or generated) from the data folder the settings name at the
    moment it is first used, so that importing the settings writes nothing."""
    from django.utils.functional import lazy

    def key() -> str:
        from django.conf import settings

        return _secret_key_of(str(settings.DATA_DIR), os.environ.get("ACUBACK_SECRET_KEY", ""))

    return lazy(key, str)()


@lru_cache(maxsize=4)
def _secret_key_of(data_dir: str, configured: str) -> str:
    # Read once per folder (and configured key), not at every use of the lazy key.
    return secret_key(Path(data_dir))


class DataFolderMissing(Exception):
    """The default data folder (./var) does not exist and nobody asked for a new one."""


def prepare_data_dir(create: bool = False) -> Path:
    """Make the data folder and its static folder (the `acuback` command and WSGI).

    A folder named in ACUBACK_DATA_DIR is made when missing: the operator chose it. The
    default ./var is made only when asked (`acuback init`): a command run without the
    production environment (as root, from another directory) would otherwise start a
    new empty database and a new secret key there, and look as if it worked.
    """
    from django.conf import settings

    folder = Path(settings.DATA_DIR)
    if not folder.is_dir() and not create and not os.environ.get("ACUBACK_DATA_DIR", "").strip():
        raise DataFolderMissing(
            f"no data folder: ACUBACK_DATA_DIR is not set and {folder} does not exist. "
            "Run this command with the installation's environment (for example "
            "`acuback-manage ...`, which reads /etc/acuback/acuback.env), or start a new "
            "data folder here with `acuback init`.")
    folder.mkdir(parents=True, exist_ok=True)
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    return folder
