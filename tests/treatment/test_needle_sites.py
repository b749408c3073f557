"""Needle sites through the service and the pages: depth ceilings and angle (safety.md
§5), the needle's length, the pneumothorax symptom check, and electrode pairs (§3.3)."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from acuback.clinical import electrodes, points
from acuback.treatment import services
from acuback.treatment.models import AdverseEvent, AEType, Insertion, Session, TreatmentPlan
from acuback.treatment.selectors import alerts_for_admin
from tests.factories import request_for

SET1 = [{"order": 1, "position": "prone", "face_to_face_minutes": 15, "electrical": False}]
EA_SET1 = [{**SET1[0], "electrical": True}]


def site(code="BL23", side="bilateral", **extra):
    row = services._from_plan({"code": code, "side": side})
    row.update(extra)
    return row


def start(world, source="blank"):
    return services.session_start(episode=world.episode, practitioner=world.practitioner_record,
                                  location=world.location, request=request_for(world.practitioner),
                                  source=source)


def data(removed, chest_check=""):
    return {"needles_removed": removed, "pain_before": 6, "pain_after": 3,
            "chest_check": chest_check}


def save(world, session, insertions, removed, chest_check="", needle_sets=SET1):
    session.refresh_from_db()
    return services.session_save(session=session, data=data(removed, chest_check),
                                 insertions=insertions, needle_sets=needle_sets,
                                 expected_version=session.version,
                                 request=request_for(world.practitioner))


def save_and_sign(world, session, insertions, removed, chest_check="", needle_sets=SET1):
    session.refresh_from_db()
    return services.session_save_and_sign(session=session, data=data(removed, chest_check),
                                          insertions=insertions, needle_sets=needle_sets,
                                          expected_version=session.version,
                                          request=request_for(world.practitioner))


def plan(world, prescription, **fields):
    return TreatmentPlan.objects.create(
        patient=world.patient, episode=world.episode, style="tcm", rationale="r",
        planned_sessions=8, sessions_per_week=1, review_date=timezone.localdate(),
        prescription=prescription, created_by=world.practitioner, **fields)


# --- depth, angle and the ceiling ---------------------------------------------------

def test_a_session_from_the_plan_prefills_caution_points_within_their_ceiling(ready):
    plan(ready, [{"code": "GB21", "side": "bilateral"}, {"code": "BL13", "side": "bilateral"},
                 {"code": "BL52", "side": "bilateral"}, {"code": "BL23", "side": "bilateral"}])
    rows = {r.point_code: r for r in start(ready, "plan").insertions.all()}
    for code in ("GB21", "BL13", "BL52"):
        ceiling = points.depth_ceiling(points.lookup(code), "bilateral")
        assert rows[code].depth_mm <= ceiling, code
        assert rows[code].angle
    assert rows["GB21"].angle == rows["BL13"].angle == "oblique"
    assert rows["BL23"].depth_mm == 15 and rows["BL23"].angle == "perpendicular"


@pytest.mark.parametrize("code, depth", [("BL13", 60), ("GB21", 50), ("LU1", 45)])
def test_a_depth_above_the_ceiling_is_refused_without_the_acknowledgement(ready, code, depth):
    session = start(ready)
    row = site(code, "left", depth_mm=Decimal(depth), length_mm=75)
    with pytest.raises(services.TreatmentError, match=f"{code} left: {depth} mm is deeper"):
        save_and_sign(ready, session, [row], removed=1, chest_check="clear")
    assert not Insertion.objects.filter(session=session).exists()
    signed = save_and_sign(ready, session, [dict(row, caution_acknowledged=True)], removed=1,
                           chest_check="clear")
    assert signed.is_signed
    assert Insertion.objects.get(session=session).caution_acknowledged


def test_a_depth_longer_than_the_needle_is_refused_even_acknowledged(ready):
    session = start(ready)
    with pytest.raises(services.TreatmentError, match="more than the needle's length"):
        save(ready, session, [site("BL23", depth_mm=Decimal(45), length_mm=40,
                                   caution_acknowledged=True)], removed=0)


def test_a_site_without_an_angle_is_refused(ready):
    session = start(ready)
    with pytest.raises(services.TreatmentError, match="BL23 bilateral: record the angle"):
        save(ready, session, [site("BL23", angle="")], removed=0)


def test_signing_a_draft_checks_the_sites_again(ready):
    # A draft copied from an older session, or written before these rules.
    session = start(ready)
    Insertion.objects.create(session=session, point_code="BL13", side="left",
                             depth_mm=Decimal(60), gauge_mm=Decimal("0.25"), length_mm=75,
                             angle="oblique", retention_minutes=20)
    Session.objects.filter(pk=session.pk).update(needles_inserted=1, needles_removed=1,
                                                 chest_check="clear")
    session.refresh_from_db()
    with pytest.raises(services.TreatmentError, match="BL13 left: 60 mm is deeper"):
        services.session_sign(session=session, expected_version=session.version,
                              request=request_for(ready.practitioner))


def test_copying_the_last_session_does_not_copy_its_acknowledgements(ready):
    first = start(ready)
    save_and_sign(ready, first, [site("BL13", "left", depth_mm=Decimal(20),
                                      caution_acknowledged=True)], removed=1,
                  chest_check="clear")
    copy = start(ready, "last")
    assert not copy.insertions.get().caution_acknowledged


# --- the pneumothorax symptom check --------------------------------------------------

def test_a_chest_wall_session_records_the_symptom_check_before_signing(ready):
    session = start(ready)
    with pytest.raises(services.NotSigned, match="pneumothorax symptom check"):
        save_and_sign(ready, session, [site("BL13", "left")], removed=1)
    assert Session.objects.get(pk=session.pk).is_signed is False
    assert save_and_sign(ready, session, [site("BL13", "left")], removed=1,
                         chest_check="clear").is_signed


def test_a_low_back_session_needs_no_symptom_check(ready):
    assert save_and_sign(ready, start(ready), [site("BL23")], removed=2).is_signed


def test_a_positive_check_opens_one_suspected_pneumothorax_event_and_alerts(ready):
    session = start(ready)
    save(ready, session, [site("GB21", "left")], removed=1, chest_check="symptoms")
    save(ready, session, [site("GB21", "left")], removed=1, chest_check="symptoms")
    event = AdverseEvent.objects.get(session=session)
    assert event.type == AEType.PNEUMOTHORAX and "GB21" in event.description
    assert "EMERGENCY" in event.description
    assert event in alerts_for_admin(user=ready.admin)
    assert save_and_sign(ready, session, [site("GB21", "left")], removed=1,
                         chest_check="symptoms").is_signed


# --- electrode pairs -----------------------------------------------------------------

@pytest.mark.parametrize("rows, reason", [
    ([site("LI4", "left", stimulation="electrical", frequency_hz=2, paired_with="LI4",
           paired_side="right"), site("LI4", "right")], "LI4 left ↔ LI4 right refused"),
    ([site("BL15", "bilateral", stimulation="electrical", frequency_hz=2, paired_with="BL15")],
     "BL15 left ↔ BL15 right refused"),
    ([site("GV14", "midline", stimulation="electrical", frequency_hz=2, paired_with="GV4"),
      site("GV4", "midline")], "GV14 ↔ GV4 refused"),
])
def test_forbidden_electrode_pairs_are_refused_at_save_with_the_reason(ready, rows, reason):
    session = start(ready)
    with pytest.raises(services.TreatmentError, match=reason):
        save(ready, session, rows, removed=0, needle_sets=EA_SET1)
    assert not Insertion.objects.filter(session=session).exists()


def test_electrical_stimulation_without_a_recorded_pair_is_refused(ready):
    session = start(ready)
    with pytest.raises(services.TreatmentError, match="none of its needle sites records"):
        save(ready, session, [site("BL23")], removed=0, needle_sets=EA_SET1)
    with pytest.raises(services.TreatmentError, match="needs its electrode pair"):
        save(ready, session, [site("BL23", stimulation="electrical", frequency_hz=2)],
             removed=0, needle_sets=EA_SET1)


def test_an_allowed_pair_signs_and_bills_electrical_stimulation(ready):
    signed = save_and_sign(ready, start(ready), [
        site("BL23", stimulation="electrical", frequency_hz=2, paired_with="BL25"),
        site("BL25")], removed=4, needle_sets=EA_SET1)
    assert signed.is_signed and signed.cpt_codes == {"97813": 1}


# --- the pages -----------------------------------------------------------------------

PLAN = {"style": "tcm", "rationale": "Local and distal points.", "individualisation":
        "individualised", "planned_sessions": 8, "sessions_per_week": "1",
        "prescription": "BL23 bilateral\nBL25 bilateral\nLI4 bilateral\nBL15 bilateral\n"
        "GV14\nGV4", "review_date": "2027-01-15", "planned_electroacupuncture": "on",
        "acknowledge_cautions": "on"}


@pytest.fixture
def prac(ready, login):
    return login(ready.practitioner)


@pytest.mark.parametrize("pairs, message", [
    ("LI4 left - LI4 right", "LI4 left ↔ LI4 right refused"),
    ("BL15 bilateral - BL15", "BL15 left ↔ BL15 right refused"),
    ("GV14 - GV4", "GV14 ↔ GV4 refused"),
    ("", "Electroacupuncture is planned without its electrode pairs"),
    ("BL23 bilateral - ST36", "ST36 left is not among the needle sites of the prescription"),
    ("BL23 sideways - BL25", "is not a side"),
    ("BL23 BL25", "write a pair as"),
])
def test_a_plan_refuses_forbidden_or_missing_electrode_pairs_on_the_field(ready, prac, pairs,
                                                                          message):
    response = prac.post(reverse("plan_edit", args=[ready.patient.pk, ready.episode.pk]),
                         {**PLAN, "ea_pairs": pairs})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["ea_pairs"])
    assert not TreatmentPlan.objects.exists()


def test_a_plan_with_caution_points_needs_them_acknowledged(ready, prac):
    url = reverse("plan_edit", args=[ready.patient.pk, ready.episode.pk])
    response = prac.post(url, {**PLAN, "ea_pairs": "BL23 bilateral - BL25",
                               "acknowledge_cautions": ""})
    assert response.status_code == 400
    assert "Read the cautions of BL15 (listed below)" in " ".join(
        response.context["form"].errors["acknowledge_cautions"])
    assert "Point cautions in this plan" in response.content.decode()
    assert not TreatmentPlan.objects.exists()


def test_a_caution_point_added_to_a_plan_needs_its_own_acknowledgement(ready, prac):
    url = reverse("plan_edit", args=[ready.patient.pk, ready.episode.pk])
    base = {**PLAN, "ea_pairs": "BL23 bilateral - BL25"}
    assert prac.post(url, base).status_code == 302
    edit = {**base, "version": 1, "acknowledge_cautions": ""}
    assert prac.post(url, edit).status_code == 302  # BL15 was acknowledged before
    response = prac.post(url, {**edit, "version": 2,
                               "prescription": base["prescription"] + "\nGB21 left"})
    assert "Read the cautions of GB21 (listed below)" in " ".join(
        response.context["form"].errors["acknowledge_cautions"])
    assert "GB21" in response.content.decode().split("Point cautions in this plan")[1]
    assert TreatmentPlan.objects.get().caution_acknowledgements == ["BL15"]


def test_a_plan_with_allowed_pairs_is_saved_and_shows_its_point_cautions(ready, prac):
    url = reverse("plan_edit", args=[ready.patient.pk, ready.episode.pk])
    response = prac.post(url, {**PLAN, "ea_pairs": "BL23 bilateral - BL25"})
    assert response.status_code == 302
    saved = TreatmentPlan.objects.get()
    assert saved.ea_pairs == [
        {"code": "BL23", "side": "bilateral", "paired_with": "BL25", "paired_side": ""}]
    assert saved.caution_acknowledgements == ["BL15"]
    page = prac.get(url).content.decode()
    assert "Point cautions in this plan" in page and "BL15" in page
    assert "BL23 bilateral - BL25" in page


def session_post(prac, ready, session, action="save", **row):
    values = {"needle_set": 1, "point_code": "BL13", "side": "left", "depth_mm": "10",
              "angle": "oblique", "gauge_mm": "0.25", "length_mm": 40,
              "material": "stainless_steel", "response_sought": "deqi", "stimulation": "manual",
              "retention_minutes": 20} | row
    form = {"version": session.version, "location": ready.location.pk, "needles_removed": 1,
            "pain_before": 5, "pain_after": 3, "action": action, "chest_check": "clear",
            "set-TOTAL_FORMS": 1, "set-INITIAL_FORMS": 0, "set-0-order": 1,
            "set-0-face_to_face_minutes": 15, "ins-TOTAL_FORMS": 1, "ins-INITIAL_FORMS": 0}
    form |= {f"ins-0-{k}": v for k, v in values.items() if v is not None}
    return prac.post(reverse("session_detail", args=[ready.patient.pk, session.pk]), form)


@pytest.mark.parametrize("row, field, message", [
    ({"depth_mm": "60", "length_mm": 75}, "depth_mm", "BL13 left: 60 mm is deeper than the "
                                                      "14.6 mm ceiling"),
    ({"depth_mm": "45"}, "depth_mm", "BL13 left: the depth (45 mm) is more than the needle"),
    ({"angle": ""}, "angle", "This field is required."),
    ({"angle": "perpendicular"}, "angle", "BL13 left: needle obliquely or horizontally"),
    ({"stimulation": "electrical", "frequency_hz": "2", "paired_with": "BL13",
      "side": "bilateral"}, "paired_with", "BL13 left ↔ BL13 right refused"),
])
def test_bad_needle_sites_are_named_on_the_field_with_the_point(ready, prac, row, field,
                                                                message):
    session = start(ready)
    response = session_post(prac, ready, session, **row)
    assert response.status_code == 400
    assert message in " ".join(response.context["insertions"].forms[0].errors[field])
    label = response.context["insertions"].forms[0].fields[field].label
    assert any(p.startswith(f"Needle site 1, {label}: ") for p in response.context["site_errors"])
    assert not Insertion.objects.filter(session=session).exists()


def test_an_acknowledged_deep_site_is_saved_and_shown_in_the_signed_note(ready, prac):
    session = start(ready)
    response = session_post(prac, ready, session, action="sign", depth_mm="20",
                            caution_acknowledged="on")
    assert response.status_code == 302
    page = prac.get(response["Location"]).content.decode()
    assert "caution acknowledged" in page and "Oblique" in page
    assert "No chest pain, breathlessness or cough" in page


def test_the_session_page_shows_the_cautions_of_its_points(ready, prac):
    session = start(ready)
    session_post(prac, ready, session)
    page = prac.get(reverse("session_detail", args=[ready.patient.pk, session.pk])).content
    assert "Point cautions" in page.decode() and "Peuker" in page.decode()


# --- properties: what a signed note can never hold ----------------------------------

CODES = ["BL23", "BL25", "BL13", "BL15", "GB21", "LU1", "LI4", "LI11", "GV14", "GV4", "ST36",
         "BL52", "CV17"]


@st.composite
def attempts(draw):
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        point = points.lookup(draw(st.sampled_from(CODES)))
        side = "midline" if point.midline else draw(st.sampled_from(
            ["left", "right", "bilateral"]))
        row = site(point.code, side, depth_mm=Decimal(draw(st.integers(1, 70))),
                   length_mm=draw(st.sampled_from([25, 40, 60])),
                   angle=draw(st.sampled_from(points.ANGLES)),
                   caution_acknowledged=draw(st.booleans()))
        if draw(st.booleans()):
            row.update(stimulation="electrical", frequency_hz=2,
                       paired_with=draw(st.sampled_from(CODES + [""])),
                       paired_side=draw(st.sampled_from(["", "left", "right", "midline"])))
        rows.append(row)
    return rows, draw(st.booleans()), draw(st.sampled_from(["", "clear"]))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(attempt=attempts())
def test_a_signed_note_never_holds_a_forbidden_pair_or_an_unacknowledged_depth(ready, attempt):
    rows, electrical, chest_check = attempt
    session = start(ready)
    needles = sum(services.needles_at(r["side"]) for r in rows)
    with contextlib.suppress(services.TreatmentError):
        save_and_sign(ready, session, rows, removed=needles, chest_check=chest_check,
                      needle_sets=[{**SET1[0], "electrical": electrical}])
    session.refresh_from_db()
    event("signed" if session.is_signed else "refused")  # --hypothesis-show-statistics
    if not session.is_signed:
        return
    stored = list(session.insertions.values(*services.INSERTION_FIELDS))
    for row in stored:
        point = points.lookup(row["point_code"])
        assert row["depth_mm"] <= row["length_mm"]
        if points.acknowledgement_needed(point=point, side=row["side"],
                                         depth_mm=row["depth_mm"], angle=row["angle"]):
            assert row["caution_acknowledged"]
        if row["stimulation"] == "electrical":
            assert row["paired_with"]
            paired = points.lookup(row["paired_with"])
            for a, b in electrodes.ends(point, row["side"], paired, row["paired_side"]):
                assert electrodes.refusal(a, b) is None
    if any(points.needs_chest_check(points.lookup(r["point_code"])) for r in stored):
        assert session.chest_check
    assert session.electroacupuncture == any(r["stimulation"] == "electrical" for r in stored)


def test_the_admin_cannot_write_needle_sites_or_a_plans_points_and_pairs(ready, login, operator):
    # The Django admin (platform operators only) is no way round the checks: needle
    # sites and a plan's points and electrode pairs are written on their own pages only.
    session = start(ready)
    save(ready, session, [site("BL13", "left")], removed=0)
    insertion = Insertion.objects.get(session=session)
    a_plan = plan(ready, [{"code": "BL23", "side": "bilateral"}])
    admin = login(operator)
    url = reverse("admin:treatment_insertion_change", args=[insertion.pk])
    assert admin.post(url, {"depth_mm": "60", "point_code": "BL13"}).status_code == 403
    assert Insertion.objects.get(pk=insertion.pk).depth_mm == Decimal(10)
    page = admin.get(reverse("admin:treatment_session_change", args=[session.pk])).content
    assert b'name="insertions-0-depth_mm"' not in page
    page = admin.get(reverse("admin:treatment_treatmentplan_change", args=[a_plan.pk])).content
    assert b'name="ea_pairs"' not in page and b'name="prescription"' not in page
