"""Absolute links for e-mails and other messages read outside the browser.

They start from ACUBACK_BASE_URL, never from the request's Host header: a link built from
a forged Host header would send a patient's login link or a colleague's password link to
someone else's server."""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """`path` (from reverse()) on the configured public address."""
    return settings.ACUBACK_BASE_URL + path
