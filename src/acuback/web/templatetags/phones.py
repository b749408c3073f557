"""A phone number shown on a page is a link that calls it (issue #28 §7): tap to call."""

from __future__ import annotations

import re

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def tel_link(number) -> str:
    """`<a href="tel:+13605550199">+1 360 555 0199</a>`; the number as typed in the text,
    only its digits (and a leading +) in the link. Empty stays empty."""
    text = str(number or "").strip()
    digits = re.sub(r"[^0-9]", "", text)
    if not digits:
        return text
    return format_html('<a href="tel:{}{}">{}</a>', "+" if text.startswith("+") else "",
                       digits, text)
