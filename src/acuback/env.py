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
    if value and not re.fullmatch(r"-?[0-9]+", value):  # int() would take "١٥"
        raise ValueError(f"{name} must be a whole number written with the digits 0-9")
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


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
