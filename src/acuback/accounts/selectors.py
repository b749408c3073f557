"""Reads for the practitioner registry and the staff pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet

from acuback.clinical.credentials import Currency

from .models import Credential, Location, Practitioner


def practitioners_for(*, user) -> QuerySet[Practitioner]:
    return (
        Practitioner.objects.visible_to(user)
        .select_related("clinic", "supervisor")
        .prefetch_related("credentials")
    )


@dataclass(frozen=True)
class CredentialRow:
    credential: Credential
    currency: Currency

    @property
    def css(self) -> str:
        return {
            Currency.EXPIRED: "bad",
            Currency.INACTIVE: "bad",
            Currency.EXPIRING: "warn",
            Currency.NOT_YET_VALID: "warn",
        }.get(self.currency, "ok")

    @property
    def label(self) -> str:
        c = self.credential
        if self.currency is Currency.EXPIRED:
            return f"Expired {c.expires_on:%Y-%m-%d}"
        if self.currency is Currency.EXPIRING:
            return f"Expires {c.expires_on:%Y-%m-%d}"
        if self.currency is Currency.INACTIVE:
            return c.get_status_display()
        if self.currency is Currency.NOT_YET_VALID:
            return f"Valid from {c.issued_on:%Y-%m-%d}"
        return f"Valid to {c.expires_on:%Y-%m-%d}" if c.expires_on else "Current"


@dataclass(frozen=True)
class RegistryRow:
    practitioner: Practitioner
    credentials: list[CredentialRow]
    cleared_at: list[Location]

    @property
    def worst(self) -> str:
        order = ["bad", "warn", "ok"]
        return min((r.css for r in self.credentials), key=order.index, default="bad")


def registry(*, user, on: date, practitioner_id: int | None = None) -> list[RegistryRow]:
    """Every practitioner the user may see (or just one), with credential status
    and where they are cleared to needle today. Three queries whatever the size."""
    practitioners = practitioners_for(user=user)
    if practitioner_id is not None:
        practitioners = practitioners.filter(pk=practitioner_id)
    practitioners = list(practitioners)
    clinic_ids = {p.clinic_id for p in practitioners}
    locations = list(Location.objects.filter(clinic_id__in=clinic_ids, is_active=True))
    return [
        RegistryRow(
            practitioner=p,
            credentials=[credential_row(c, on) for c in p.credentials.all()],
            cleared_at=[
                loc for loc in locations
                if loc.clinic_id == p.clinic_id and p.clearance_at(loc, on).cleared
            ],
        )
        for p in practitioners
    ]


def credential_row(credential: Credential, on: date) -> CredentialRow:
    return CredentialRow(credential, credential.currency(on))


def credentials_needing_attention(*, user, on: date) -> list[CredentialRow]:
    """Expired, inactive or soon-expiring credentials, for the admin's home page."""
    rows = [
        credential_row(c, on)
        for c in Credential.objects.visible_to(user).select_related("practitioner")
    ]
    return sorted(
        (r for r in rows if r.css != "ok"),
        key=lambda r: (r.credential.expires_on or on, r.credential.practitioner.display_name),
    )




@dataclass(frozen=True)
class Lockout:
    """Failed log-ins counted against an account (django-axes), and until when it is locked
    out (None: it is not)."""

    failures: int
    locked_until: datetime | None


def lockout_of(username: str) -> Lockout:
    """The staff page's view of the log-in lockout (settings AXES_*): failures since the
    last success from any address, and the latest lock still running."""
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.db.models import Max, Sum
    from django.utils import timezone

    attempts = AccessAttempt.objects.filter(username=username)
    totals = attempts.aggregate(failures=Sum("failures_since_start"))
    locked = attempts.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT).aggregate(
        last=Max("attempt_time"))["last"]
    until = locked + settings.AXES_COOLOFF_TIME if locked else None
    return Lockout(totals["failures"] or 0, until if until and until > timezone.now() else None)


@dataclass(frozen=True)
class SignatureBlock:
    """Who signs a letter, from the practitioner record: name and post-nominals, the
    profession, and each credential in force that day (issue #28 §8)."""

    name: str
    profession: str
    credentials: list[str]
    npi: str


def signature_block(practitioner: Practitioner, on: date) -> SignatureBlock:
    current = [c for c in practitioner.credentials.all()
               if c.status == "active" and (c.expires_on is None or c.expires_on >= on)
               and (c.issued_on is None or c.issued_on <= on)]
    titles = list(dict.fromkeys(c.title for c in current if c.title))
    lines = [" ".join(part for part in (c.title, c.get_kind_display(), c.jurisdiction,
                                        f"no. {c.number}" if c.number else "",
                                        f"({c.issuer})") if part)
             for c in current]
    name = practitioner.display_name + (f", {', '.join(titles)}" if titles else "")
    return SignatureBlock(name=name, profession=practitioner.get_profession_display(),
                          credentials=lines, npi=practitioner.npi)
