"""Issue #26 item 9, clinician re-test: cupping was accepted and signed for a patient with a
cleared haemophilia and for one on two antithrombotics. Every adjunct given names its body
region, and the session gate (every save and the signature) and the plan check it against
the patient's profile as needles are, with the reason in words."""

from __future__ import annotations

import contextlib

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acuback.clinical import adjuncts
from acuback.clinical.safety import REGIONS
from acuback.screening import services as screening_services
from acuback.screening.enforcement import NeedlingRefused
from acuback.treatment import services
from acuback.treatment.models import Session, TreatmentPlan
from tests.factories import make_signed_screening, request_for
from tests.treatment.test_clearance_keeps_precautions import clear
from tests.treatment.test_needle_sites import SET1, data, site, start

FINE = site("BL23", depth_mm="8", gauge_mm="0.20", length_mm=25)


def acknowledge(world, screening):
    screening_services.precautions_acknowledge(
        screening=screening, texts=list(screening.decision["acknowledgements"]),
        request=request_for(world.practitioner))


@pytest.fixture
def cleared_haemophilia(ready):
    screening = make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode,
                                      diagnosis_codes=["D66"], bleeding_disorder=True)
    clear(ready, screening, "CI-BLEEDING")
    acknowledge(ready, screening)
    return ready


@pytest.fixture
def two_antithrombotics(ready):
    screening = make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode,
                                      takes_listed_medicines=True,
                                      medication_classes=["anticoagulant", "antiplatelet"])
    clear(ready, screening, "CI-ANTITHROMBOTIC-2")
    acknowledge(ready, screening)
    return ready


def sign(world, session, given, row=FINE):
    session.refresh_from_db()
    return services.session_save_and_sign(
        session=session, data=data(2) | {"adjuncts": given}, insertions=[row],
        needle_sets=SET1, expected_version=session.version,
        request=request_for(world.practitioner))


@pytest.mark.parametrize("which", ["cleared_haemophilia", "two_antithrombotics"])
def test_cupping_is_refused_at_save_and_signature_with_the_bleeding_reason(which, request):
    world = request.getfixturevalue(which)
    session = start(world)
    with pytest.raises(NeedlingRefused, match="Cupping \\(lower back\\) is not allowed.*"
                       "bleeding risk"):
        sign(world, session, [{"kind": "cupping", "region": "lower_back"}])
    session.refresh_from_db()
    assert not session.is_signed and session.adjuncts == []
    signed = sign(world, session, [{"kind": "heat", "region": "lower_back"}])
    assert signed.is_signed


def test_a_draft_saved_before_the_finding_is_refused_at_the_signature(ready):
    session = start(ready)
    session.refresh_from_db()
    services.session_save(session=session, data=data(2) | {"adjuncts": [
        {"kind": "gua_sha", "region": "upper_back"}]}, insertions=[FINE], needle_sets=SET1,
        expected_version=session.version, request=request_for(ready.practitioner))
    screening = make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode,
                                      takes_listed_medicines=True,
                                      medication_classes=["anticoagulant"])
    acknowledge(ready, screening)
    session.refresh_from_db()
    with pytest.raises(NeedlingRefused, match="Gua sha \\(upper back\\)"):
        services.session_sign(session=session, expected_version=session.version,
                              request=request_for(ready.practitioner))


def test_moxibustion_low_in_early_pregnancy_is_refused_and_allowed_on_the_leg(ready):
    screening = make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode,
                                      pregnant=True, gestational_weeks=9)
    acknowledge(ready, screening)
    session = start(ready)
    leg = site("ST36", depth_mm="15", gauge_mm="0.25", length_mm=40)
    with pytest.raises(NeedlingRefused, match="first trimester"):
        sign(ready, session, [{"kind": "moxibustion", "region": "sacral"}], leg)
    assert sign(ready, session, [{"kind": "moxibustion", "region": "lower_limb"}],
                leg).is_signed


def test_a_sited_adjunct_without_its_region_is_refused(ready):
    session = start(ready)
    with pytest.raises(NeedlingRefused, match="record where it is given"):
        sign(ready, session, ["cupping"])


# --- pages -------------------------------------------------------------------------

@pytest.fixture
def prac(ready, login):
    return login(ready.practitioner)


def test_the_session_form_asks_where_each_adjunct_is_given_and_stores_it(ready, prac):
    session = start(ready)
    url = reverse("session_detail", args=[ready.patient.pk, session.pk])
    page = prac.get(url).content.decode()
    assert "<legend>Cupping: where given</legend>" in page
    assert "<legend>Electrical stimulation without needles (TENS): where given</legend>" in page
    assert 'for="id_adjunct_heat_5"' in page  # each region box has its own label
    form = {"version": session.version, "location": ready.location.pk, "needles_removed": 2,
            "adjunct_heat": ["lower_back", "upper_back"], "adjunct_exercise_advice": "on",
            "set-TOTAL_FORMS": 1, "set-INITIAL_FORMS": 0, "set-0-order": 1,
            "set-0-position": "prone", "set-0-face_to_face_minutes": 15,
            "ins-TOTAL_FORMS": 1, "ins-INITIAL_FORMS": 0, "ins-0-needle_set": 1,
            "ins-0-point_code": "BL23", "ins-0-side": "bilateral", "ins-0-depth_mm": 15,
            "ins-0-angle": "perpendicular", "ins-0-gauge_mm": "0.25", "ins-0-length_mm": 40,
            "ins-0-material": "stainless_steel", "ins-0-response_sought": "deqi",
            "ins-0-stimulation": "manual", "ins-0-retention_minutes": 20, "action": "save"}
    response = prac.post(url, form)
    assert response.status_code in (200, 302), response.content.decode()[:2000]
    session.refresh_from_db()
    assert session.adjuncts == [{"kind": "heat", "region": "upper_back"},
                                {"kind": "heat", "region": "lower_back"}] or \
        sorted(session.adjuncts, key=str) == sorted(
            [{"kind": "heat", "region": "lower_back"}, {"kind": "heat", "region": "upper_back"},
             {"kind": "exercise_advice", "region": ""}], key=str)
    assert {"kind": "exercise_advice", "region": ""} in session.adjuncts


def test_a_plan_with_cupping_for_an_anticoagulated_patient_is_refused_on_the_field(ready, prac):
    screening = make_signed_screening(ready.patient, ready.practitioner, episode=ready.episode,
                                      takes_listed_medicines=True,
                                      medication_classes=["anticoagulant"])
    acknowledge(ready, screening)
    url = reverse("plan_edit", args=[ready.patient.pk, ready.episode.pk])
    form = {"style": "tcm", "rationale": "Local points.", "individualisation": "semi",
            "planned_sessions": 6, "sessions_per_week": 1, "prescription": "BL23 bilateral",
            "review_date": "2030-01-01", "adjunct_cupping": ["lower_back"]}
    response = prac.post(url, form)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "bleeding risk" in " ".join(errors["adjunct_cupping"])
    assert not TreatmentPlan.objects.filter(episode=ready.episode).exists()
    response = prac.post(url, form | {"adjunct_cupping": [], "adjunct_heat": ["lower_back"]})
    assert response.status_code == 302
    assert TreatmentPlan.objects.get(episode=ready.episode).adjuncts == [
        {"kind": "heat", "region": "lower_back"}]


# --- the property --------------------------------------------------------------------

@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(given=st.lists(st.fixed_dictionaries({"kind": st.sampled_from(sorted(adjuncts.SITED)),
                                             "region": st.sampled_from(REGIONS)}),
                      min_size=1, max_size=3))
def test_an_adjunct_the_profile_refuses_never_appears_in_a_signed_note(cleared_haemophilia,
                                                                      given):
    world = cleared_haemophilia
    session = start(world)
    with contextlib.suppress(NeedlingRefused):
        sign(world, session, given)
    for signed in Session.objects.filter(patient=world.patient, status="signed"):
        blocks = [b for f in signed.pre_treatment_check.decision["findings"]
                  for b in adjuncts.blocks_for(f["rule"], f["title"], f["actions"],
                                               regions=f["blocked_regions"])]
        assert adjuncts.problems(blocks, signed.adjuncts) == [], signed.adjuncts
    Session.objects.filter(patient=world.patient, status="draft").delete()


def test_the_banner_names_the_refused_adjuncts_before_the_practitioner_tries(
        cleared_haemophilia, login):
    client = login(cleared_haemophilia.practitioner)
    session = start(cleared_haemophilia)
    page = client.get(reverse("session_detail", args=[cleared_haemophilia.patient.pk,
                                                      session.pk])).content.decode()
    assert "Adjunct not allowed: Cupping (everywhere); Gua sha (everywhere)" in page
    assert "bleeding risk" in page
