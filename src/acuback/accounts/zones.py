"""Times and days in the zone of the place they happen.

A time shown to anyone (a page, an e-mail, an SMS, a calendar file, a PDF, FHIR) is in
the zone of the location where the visit happens, or of the clinic when there is no
location; never in the server's zone or UTC. "Today" is the place's today. Where a
time could be misread (a patient at home, a message, a calendar) it names its zone.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils import timezone

# The default wording of a date and time in a message: "Monday 7 December at 13:30 PST".
MESSAGE_FORMAT = "%A %-d %B at %H:%M"


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_of(place) -> ZoneInfo:
    """The zone of a Location or a Clinic (anything with a ``time_zone`` name)."""
    return _zone(place.time_zone)


def local(value: datetime, place) -> datetime:
    return value.astimezone(zone_of(place))


def zone_name(value: datetime, place) -> str:
    """The zone's abbreviation at that moment ("PST", "PDT"), or its offset ("+14")."""
    return local(value, place).tzname() or ""


def local_text(value: datetime, place, fmt: str = MESSAGE_FORMAT) -> str:
    """The time as the place's clock shows it, followed by the zone's abbreviation."""
    moment = local(value, place)
    return f"{moment.strftime(fmt)} {moment.tzname()}"


def today_at(place, now: datetime | None = None) -> date:
    """The date on the place's calendar now (or at `now`)."""
    return local(now or timezone.now(), place).date()
