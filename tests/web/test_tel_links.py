"""Every phone number a page shows is tap-to-call (issue #28 §7)."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

import acuback
from acuback.web.templatetags.phones import tel_link

SHOWN_PHONE = re.compile(r"\{\{\s*[\w.]*phone[\w.]*\s*(\|[^}]*)?\}\}")


def test_every_phone_a_template_shows_is_a_tel_link():
    shown_plain = []
    for path in Path(acuback.__file__).parent.rglob("templates/**/*.html"):
        for match in SHOWN_PHONE.finditer(path.read_text()):
            if "tel_link" not in (match.group(1) or ""):
                shown_plain.append(f"{path.name}: {match.group(0)}")
    assert shown_plain == []


@given(st.text(alphabet="0123456789 +-().x", max_size=25))
def test_the_link_dials_only_digits_and_a_leading_plus(number):
    html = str(tel_link(number))
    digits = re.sub(r"[^0-9]", "", number)
    if digits:
        plus = "+" if number.strip().startswith("+") else ""
        assert f'href="tel:{plus}{digits}"' in html
    else:
        assert "href" not in html


def test_the_patient_home_and_chart_call_the_numbers(world, login):
    world.patient.phone = "+1 360 555 0199"
    world.patient.save()
    world.clinic.phone = "(312) 555-0100"
    world.clinic.save()
    home = login(world.patient_user).get(reverse("home")).content.decode()
    assert '<a href="tel:+13605550199">+1 360 555 0199</a>' in home
    assert '<a href="tel:3125550100">(312) 555-0100</a>' in home
    chart = login(world.front_desk).get(reverse("patient_chart", args=[world.patient.pk]))
    assert 'href="tel:+13605550199"' in chart.content.decode()
