"""Money on the billing pages and documents."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def credit(balance) -> Decimal:
    """A negative balance as the credit it is (the amount, without its sign)."""
    return -Decimal(balance)
