"""Tiny typed helpers that read settings from environment variables."""

from __future__ import annotations

import os
import re
import secrets
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
