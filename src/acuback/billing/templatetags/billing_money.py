"""Money on the billing pages and documents."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()

# Project rule: the billing is US billing (Medicare, CMS-1500; the FHIR mapping says
# USD), so amounts are dollars.
CURRENCY_SYMBOL = "$"


@register.filter
def money(amount) -> str:
    """An amount with its currency, two places, the sign before the symbol: -$20.00.
    Nothing (None or blank) stays blank for the template's default."""
    if amount is None or amount == "":
        return ""
    value = Decimal(amount)
    return f"{'-' if value < 0 else ''}{CURRENCY_SYMBOL}{abs(value):.2f}"


@register.filter
def credit(balance) -> Decimal:
    """A negative balance as the credit it is (the amount, without its sign)."""
    return -Decimal(balance)
