"""Billing writes: the clinic's fee schedule."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.http import HttpRequest

from acuback.audit.services import audit_record

from .models import FeeSchedule


def fee_schedule_save(*, clinic, amounts: dict[str, Decimal | None],
                      request: HttpRequest) -> None:
    """Set the clinic's fee for each code (None: no fee for that code), all or nothing."""
    with transaction.atomic():
        current = {f.code: f for f in FeeSchedule.objects.select_for_update()
                   .filter(clinic=clinic)}
        changed = {}
        for code, amount in amounts.items():
            fee = current.get(code)
            if amount is None:
                if fee is not None:
                    fee.delete()  # a price, not clinical data
                    changed[code] = None
            elif fee is None:
                FeeSchedule.objects.create(clinic=clinic, code=code, amount=amount)
                changed[code] = str(amount)
            elif fee.amount != amount:
                fee.amount = amount
                fee.save(update_fields=["amount"])
                changed[code] = str(amount)
        audit_record(request=request, action="billing.fees_save", clinic=clinic,
                     detail={"changed": changed})
