"""Issue #28 §5: the session page at the couch. "bilat" is a side, the electrical option
is disabled with its reason when electroacupuncture is blocked, each blocked point says
why and the whole list is shown, and the needle table puts every field under a label."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from acuback.clinical.safety import Device
from acuback.treatment.forms import SIDE_WORDS, InsertionForm, side_from_word
from tests.factories import make_session, make_signed_screening

ROW = {"needle_set": 1, "point_code": "BL23", "side": "", "depth_mm": "20",
       "angle": "perpendicular", "gauge_mm": "0.25", "length_mm": "40",
       "material": "stainless_steel", "response_sought": "deqi", "stimulation": "none",
       "retention_minutes": 20}


@pytest.mark.parametrize("typed, side", [("BL23 bilat", "bilateral"), ("BL23 Bilat.", "bilateral"),
                                         ("GB30 L", "left"), ("GB30 rt", "right"),
                                         ("BL23 bilateral", "bilateral")])
def test_a_side_typed_with_the_point_is_read(typed, side):
    form = InsertionForm({**ROW, "point_code": typed})
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["point_code"], form.cleaned_data["side"]) == (typed.split()[0], side)


def test_a_typed_side_that_contradicts_the_side_chosen_is_named():
    form = InsertionForm({**ROW, "point_code": "BL23 L", "side": "right"})
    assert not form.is_valid()
    assert "choose one" in form.errors["side"][0]


@given(st.sampled_from(sorted(SIDE_WORDS)), st.sampled_from(["", ".", " "]),
       st.booleans())
def test_every_side_word_reads_in_any_case(word, tail, upper):
    typed = (word.upper() if upper else word) + tail
    assert side_from_word(typed) == SIDE_WORDS[word]


def _session_page(ready, login, **screening):
    make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode, **screening)
    session = make_session(ready.patient, ready.practitioner_record, ready.location,
                           episode=ready.episode)
    client = login(ready.practitioner)
    return client.get(reverse("session_detail", args=[ready.patient.pk, session.pk]))


def test_the_electrical_option_is_disabled_with_its_reason_when_ea_is_blocked(ready, login):
    html = _session_page(ready, login, devices=(Device("pacemaker", "chest"),)).content.decode()
    assert re.search(r'<option value="electrical"[^>]* disabled', html)
    assert "Electrical stimulation is not available for this patient" in html
    assert "Implanted electrical device" in html
    assert re.search(r'name="set-0-electrical"[^>]*disabled|disabled[^>]*name="set-0-electrical"',
                     html) or 'name="set-0-electrical"' not in html


def test_the_electrical_option_is_open_when_ea_is_allowed(ready, login):
    html = _session_page(ready, login).content.decode()
    assert re.search(r'<option value="electrical"(?![^>]*disabled)', html)
    assert "Electrical stimulation is not available" not in html


def test_every_blocked_point_is_listed_with_why(ready, login):
    html = _session_page(ready, login, pregnant=True, gestational_weeks=22).content.decode()
    response_profile = html[html.find("Blocked points"):]
    for code in ("LI4", "SP6", "BL60", "BL67", "GB21"):  # the pregnancy set, none cut off
        assert code in response_profile
    assert "Pregnancy" in response_profile
    assert "never needled" in response_profile  # ST17 and CV8, with why
    assert "…" not in response_profile.split("</details>")[0]


def test_every_needle_site_field_has_a_label(ready, login):
    from tests.web.test_pages_in_plain_words import read

    page = read(_session_page(ready, login).content.decode())
    site_fields = [a["name"] for _, a in page.controls if a.get("name", "").startswith("ins-")]
    assert site_fields
    assert [n for n in page.unlabelled() if n.startswith(("ins-", "set-"))] == []


def test_more_stays_closed_on_a_plain_row_and_opens_on_an_electrical_one():
    assert not InsertionForm(initial={"stimulation": "manual"}, prefix="ins-0").more_in_use()
    assert InsertionForm(initial={"stimulation": "electrical"}, prefix="ins-0").more_in_use()
    assert InsertionForm({**ROW, "point_code": "XX9"}).more_in_use() is False  # error in view
    assert InsertionForm({**ROW, "frequency_hz": "abc"}).more_in_use()  # error behind More
