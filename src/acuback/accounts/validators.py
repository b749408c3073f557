"""Field validators shared by the account models and forms."""

from __future__ import annotations

import re
import zoneinfo

from django.core.exceptions import ValidationError


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known IANA time zone (e.g. America/New_York).")


def validate_npi(value: str) -> None:
    """A US National Provider Identifier: 10 digits with a Luhn check digit
    computed over the prefix 80840 and the first nine digits (CMS, "Requirements
    for National Provider Identifier (NPI) and NPI Enumeration", check digit)."""
    if not re.fullmatch(r"[0-9]{10}", value):  # \d would take "١٢٣…"
        raise ValidationError("An NPI has exactly 10 digits.")
    digits = [int(d) for d in "80840" + value[:9]]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    check = (10 - total % 10) % 10
    if check != int(value[9]):
        raise ValidationError("This NPI's check digit is wrong; check the number for a typo.")


JURISDICTION_RE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")


def validate_jurisdiction(value: str) -> None:
    if not JURISDICTION_RE.match(value.strip().upper()):
        raise ValidationError(
            "Use an ISO 3166 code: a country (GB) or a country subdivision (US-CA, GB-SCT)."
        )
