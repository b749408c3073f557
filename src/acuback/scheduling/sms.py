"""SMS backends: a small interface so a clinic can plug in its provider."""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod

from django.conf import settings
from django.utils.module_loading import import_string


class BaseSMSBackend(ABC):
    """Subclass and point ACUBACK_SMS_BACKEND at it; raise on failure (it is retried)."""

    @abstractmethod
    def send(self, to: str, body: str) -> None: ...


class ConsoleSMSBackend(BaseSMSBackend):
    """Prints messages, like Django's console e-mail backend."""

    def send(self, to: str, body: str) -> None:
        sys.stdout.write(f"SMS to {to}: {body}\n")


# ACUBACK_SMS_BACKEND=none: the clinic sends no text messages (no SMS reminder is planned).
OFF = "none"


def enabled() -> bool:
    return settings.ACUBACK_SMS_BACKEND.strip().lower() != OFF


def get_backend() -> BaseSMSBackend:
    return import_string(settings.ACUBACK_SMS_BACKEND)()
