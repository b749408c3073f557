"""Plan, session and adverse-event pages: bad input on the field, alerts, read-only admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from acuback.clinical.safety import Device
from acuback.treatment.models import AdverseEvent, Session, TreatmentPlan
from tests.factories import make_clinic, make_location, make_signed_screening

PLAN = {"style": "tcm", "rationale": "Local and distal points.", "individualisation":
        "individualised", "planned_sessions": 8, "sessions_per_week": "1",
        "prescription": "BL23 bilateral\nUB40\nGV4\nAshi: left L4", "review_date": "2027-01-15"}


@pytest.fixture
def prac(ready, login):
    return login(ready.practitioner)


def test_a_plan_is_saved_with_normalised_points(ready, prac):
    response = prac.post(reverse("plan_edit", args=[ready.patient.pk, ready.episode.pk]), PLAN)
    assert response.status_code == 302
    plan = TreatmentPlan.objects.get()
    assert plan.prescription == [{"code": "BL23", "side": "bilateral"},
                                 {"code": "BL40", "side": "bilateral"},
                                 {"code": "GV4", "side": "midline"},
                                 {"location": "left L4", "side": "left"}]


@pytest.mark.parametrize("prescription, message", [
    ("XX9", "XX9 is not a known acupoint code."),
    ("GV4 left", "GV4 lies on the midline"),
    ("BL23 midline", "BL23 is not a midline point"),
    ("BL23 sideways", "is not a side"),
    ("Ashi", "An Ashi point needs its location"),
    ("", "This field is required."),
])
def test_bad_prescriptions_are_refused_on_the_field(ready, prac, prescription, message):
    response = prac.post(reverse("plan_edit", args=[ready.patient.pk, ready.episode.pk]),
                         {**PLAN, "prescription": prescription})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["prescription"])


def test_a_plan_is_checked_against_the_safety_profile(ready, prac):
    make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode,
                          pregnant=True, gestational_weeks=10,
                          devices=(Device("pacemaker", "chest"),))
    response = prac.post(reverse("plan_edit", args=[ready.patient.pk, ready.episode.pk]),
                         {**PLAN, "prescription": "SP6\nLR3", "planned_electroacupuncture": "on"})
    errors = response.context["form"].errors
    assert "SP6 (Sanyinjiao) is blocked" in errors["prescription"][0]
    assert "Implanted electrical device" in errors["planned_electroacupuncture"][0]
    assert not TreatmentPlan.objects.exists()


def test_a_new_plan_supersedes_the_current_one(ready, prac):
    url = reverse("plan_edit", args=[ready.patient.pk, ready.episode.pk])
    prac.post(url, PLAN)
    prac.post(url + "?new=1", {**PLAN, "new": "1", "prescription": "BL25"})
    assert TreatmentPlan.objects.filter(is_current=True).get().prescription[0]["code"] == "BL25"
    assert TreatmentPlan.objects.count() == 2


def new_session(ready, prac, source="blank"):
    response = prac.post(reverse("session_new", args=[ready.patient.pk, ready.episode.pk]),
                         {"source": source, "location": ready.location.pk})
    session = Session.objects.get()
    assert response["Location"] == reverse("session_detail", args=[ready.patient.pk, session.pk])
    return session


def session_post(prac, ready, session, action="save", **overrides):
    data = {"version": session.version, "location": ready.location.pk, "needles_removed": 2,
            "pain_before": 5, "pain_after": 3, "action": action,
            "set-TOTAL_FORMS": 1, "set-INITIAL_FORMS": 0, "set-0-order": 1,
            "set-0-face_to_face_minutes": 15,
            "ins-TOTAL_FORMS": 1, "ins-INITIAL_FORMS": 0, "ins-0-needle_set": 1,
            "ins-0-point_code": "bl23", "ins-0-side": "bilateral", "ins-0-depth_mm": "20",
            "ins-0-angle": "perpendicular",
            "ins-0-gauge_mm": "0.25", "ins-0-length_mm": 40, "ins-0-material": "stainless_steel",
            "ins-0-response_sought": "deqi", "ins-0-stimulation": "manual",
            "ins-0-retention_minutes": 20}
    data.update(overrides)
    return prac.post(reverse("session_detail", args=[ready.patient.pk, session.pk]), data)


@pytest.mark.parametrize("field, value, message", [
    ("ins-0-depth_mm", "101", "less than or equal to 100"),
    ("ins-0-depth_mm", "-1", "greater than or equal to 0"),
    ("ins-0-retention_minutes", "121", "less than or equal to 120"),
    ("ins-0-point_code", "XX9", "XX9 is not a known acupoint code."),
    ("ins-0-point_code", "", "Give a point code, or an Ashi location."),
])
def test_bad_needling_values_are_named_on_their_field(ready, prac, field, value, message):
    session = new_session(ready, prac)
    response = session_post(prac, ready, session, **{field: value})
    assert response.status_code == 400
    name = field.split("-")[-1]
    assert message in " ".join(response.context["insertions"].forms[0].errors[name])


def test_field_errors_are_announced_at_the_top_of_the_page(ready, prac):
    # The rows with the errors sit below the fold; the page reloads at the top.
    session = new_session(ready, prac)
    page = session_post(prac, ready, session, action="sign",
                        **{"ins-0-point_code": "XX9"}).content.decode()
    summary = page.index("Some fields need a look")
    assert summary < page.index("XX9 is not a known acupoint code.")
    assert "Some fields need a look" not in prac.get(
        reverse("session_detail", args=[ready.patient.pk, session.pk])).content.decode()


@pytest.mark.parametrize("hz, message", [("0", "greater than or equal to 1"),
                                         ("201", "less than or equal to 200"),
                                         ("", "needs its frequency")])
def test_electrical_frequency_must_be_1_to_200_hz(ready, prac, hz, message):
    session = new_session(ready, prac)
    response = session_post(prac, ready, session, **{
        "ins-0-stimulation": "electrical", "ins-0-frequency_hz": hz, "ins-0-paired_with": "BL25",
        "set-0-electrical": "on"})
    assert message in " ".join(response.context["insertions"].forms[0].errors["frequency_hz"])


def test_removed_above_inserted_is_refused_with_a_message(ready, prac):
    session = new_session(ready, prac)
    response = session_post(prac, ready, session, needles_removed=5)
    assert response.status_code == 400
    assert "Needles removed (5) cannot be more than needles inserted (2)." in response.context[
        "problems"]


@pytest.mark.parametrize("where", ["another clinic", "inactive", "missing"])
def test_a_location_not_among_the_clinics_active_ones_is_refused_on_its_field(ready, prac,
                                                                               where):
    # The form's own choice list is the only check (the model's second read is skipped).
    if where == "another clinic":
        location = make_location(make_clinic()).pk
    elif where == "inactive":
        location = make_location(ready.patient.clinic).pk
        type(ready.location).objects.filter(pk=location).update(is_active=False)
    else:
        location = 999999
    session = new_session(ready, prac)
    response = session_post(prac, ready, session, action="sign", location=location)
    assert response.status_code == 400
    assert "Select a valid choice" in " ".join(response.context["form"].errors["location"])
    session.refresh_from_db()
    assert session.location_id == ready.location.pk and not session.is_signed


def test_a_full_session_saves_and_signs_through_the_page(ready, prac):
    session = new_session(ready, prac)
    assert session_post(prac, ready, session).status_code == 302
    session.refresh_from_db()
    assert session.needles_inserted == 2 and session.insertions.get().point_code == "BL23"
    assert session_post(prac, ready, session, action="sign").status_code == 302
    session.refresh_from_db()
    assert session.is_signed


def test_autosave_answers_json_and_a_conflict_with_409(ready, prac):
    session = new_session(ready, prac)
    response = session_post(prac, ready, session, action="autosave")
    assert response.status_code == 200 and response.json()["saved"]
    stale = session_post(prac, ready, session, action="autosave")  # same old version
    assert stale.status_code == 409
    assert "Someone else saved this session" in stale.json()["problems"][0]


def test_posting_to_a_signed_session_changes_nothing(ready, prac):
    session = new_session(ready, prac)
    session_post(prac, ready, session, action="sign")
    session.refresh_from_db()
    session_post(prac, ready, session, **{"ins-0-point_code": "GV4", "ins-0-side": "midline"})
    assert session.insertions.get().point_code == "BL23"


def test_the_admin_shows_a_signed_session_read_only(ready, prac, login, operator):
    session = new_session(ready, prac)
    session_post(prac, ready, session, action="sign")
    admin = login(operator)
    url = reverse("admin:treatment_session_change", args=[session.pk])
    page = admin.get(url).content.decode()
    assert 'name="_save"' not in page
    assert admin.post(url, {"subjective": "changed"}).status_code == 403


def test_a_retained_needle_alerts_the_clinic_admin(ready, prac, login):
    session = new_session(ready, prac)
    session_post(prac, ready, session, needles_removed=1)
    prac.post(reverse("needle_incident", args=[ready.patient.pk, session.pk]),
              {"description": "One BL23 needle not found after search.", "severity": "minor"})
    page = login(ready.admin).get(reverse("home")).content.decode()
    assert "Adverse events to review (1)" in page and "Retained or missing needle" in page
    event = AdverseEvent.objects.get()
    login(ready.admin).post(reverse("adverse_event_acknowledge",
                                    args=[ready.patient.pk, event.pk]))
    assert "Adverse events to review" not in login(ready.admin).get(reverse("home")).content.decode()


def test_an_adverse_event_is_recorded_with_field_errors_for_bad_input(ready, prac):
    url = reverse("adverse_event_new", args=[ready.patient.pk])
    bad = prac.post(url, {"type": "bleeding", "severity": "catastrophic", "causality": "possible",
                          "reporter": "practitioner", "onset_at": "2999-01-01T10:00",
                          "description": "bruise", "outcome": "resolved"})
    assert set(bad.context["form"].errors) == {"severity", "onset_at"}
    good = prac.post(url, {"type": "bleeding", "severity": "minor", "causality": "possible",
                           "reporter": "practitioner", "onset_at": "2026-11-01T10:00",
                           "description": "bruise", "outcome": "resolved"})
    assert good.status_code == 302 and AdverseEvent.objects.count() == 1


def test_an_adverse_event_dated_at_the_start_of_the_calendar_is_refused(ready, prac):
    # Found by the attacker's re-test of issue #25 §9: an onset of 0001-01-01 was saved,
    # and the research export then failed with a 500 on it.
    url = reverse("adverse_event_new", args=[ready.patient.pk])
    data = {"type": "bleeding", "severity": "minor", "causality": "possible",
            "reporter": "practitioner", "description": "bruise", "outcome": "resolved"}
    for onset in ("0001-01-01T00:00", "1899-12-31T23:59"):
        bad = prac.post(url, {**data, "onset_at": onset})
        assert bad.status_code == 400 and "Give a date from 1900-01-01" in " ".join(
            bad.context["form"].errors["onset_at"]), onset
    assert not AdverseEvent.objects.exists()


def test_every_form_refuses_a_date_outside_the_accepted_range():
    """The rule lives in the mixin every form uses (acuback.digits, input_bounds)."""
    from django import forms

    from acuback.digits import AsciiDigitsMixin

    class Dated(AsciiDigitsMixin, forms.Form):
        day = forms.DateField()
        at = forms.DateTimeField()

    assert Dated({"day": "2026-12-07", "at": "2026-12-07T10:00"}).is_valid()
    form = Dated({"day": "0001-01-01", "at": "9999-12-31T23:59"})
    assert not form.is_valid() and set(form.errors) == {"day", "at"}


def test_the_timeline_shows_the_points_of_each_session(ready, prac):
    session = new_session(ready, prac)
    session_post(prac, ready, session)
    page = prac.get(reverse("patient_clinical", args=[ready.patient.pk])).content.decode()
    assert "BL23 bilat." in page and "Intake screening" in page


def test_extra_points_may_be_midline_or_sided(ready, prac):
    url = reverse("plan_edit", args=[ready.patient.pk, ready.episode.pk])
    response = prac.post(url, {**PLAN, "prescription": "EX-B5 midline\nEX-B2 bilateral"})
    assert response.status_code == 302


def test_the_session_page_offers_the_catalogue_as_a_datalist(ready, prac):
    session = new_session(ready, prac)
    page = prac.get(reverse("session_detail", args=[ready.patient.pk, session.pk]))
    text = page.content.decode()
    assert '<option value="BL23">BL23 Shenshu' in text and 'list="acupoints"' in text


def test_the_autosave_time_and_the_page_show_the_locations_clock(ready, prac):
    from zoneinfo import ZoneInfo

    # The clinic is in Chicago; this location is two hours behind.
    ready.location.time_zone = "America/Vancouver"
    ready.location.save()
    session = new_session(ready, prac)
    answer = session_post(prac, ready, session, action="autosave").json()
    session.refresh_from_db()
    vancouver = session.updated_at.astimezone(ZoneInfo("America/Vancouver"))
    assert answer["at"] == vancouver.strftime("%H:%M:%S")
    page = prac.get(reverse("session_detail", args=[ready.patient.pk, session.pk]))
    assert f"saved {vancouver:%H:%M}</span>" in page.content.decode()


def test_the_clinical_record_title_is_plain_text_and_the_timeline_is_drawn_once(ready, prac):
    """The timeline sat inside {% block title %} as well: markup in the page's <title>, and
    the timeline rendered twice."""
    import re

    session = new_session(ready, prac)
    session_post(prac, ready, session)
    page = prac.get(reverse("patient_clinical", args=[ready.patient.pk])).content.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.S)[1]
    assert title == f"Clinical record · {ready.patient.full_name} · acuback"
    assert page.count('<ul class="timeline">') == 1
