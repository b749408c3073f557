"""Issue #26 item 8: every finding that blocks has a clearance path (who, when, the
letter, what it allows), carried forward while the answers that raised it are unchanged
and reopened when they change."""

from __future__ import annotations

import pytest
from django.urls import reverse

from acuback.clinical.safety import Answers, answers_to_json
from acuback.patients.models import ConsentKind, EpisodeStatus
from acuback.screening import services
from acuback.screening.enforcement import needling_check
from acuback.screening.models import ReferralClearance
from tests.factories import (
    CLEAR_ANSWERS,
    clinic_today,
    make_consent,
    make_episode,
    make_signed_screening,
    request_for,
)


@pytest.fixture
def ready(world):
    make_consent(world.patient, world.practitioner)
    make_consent(world.patient, world.practitioner, ConsentKind.ELECTROACUPUNCTURE)
    world.episode = make_episode(world.patient, world.practitioner)
    return world


def check(world, ea=False):
    return needling_check(patient=world.patient, practitioner=world.practitioner_record,
                          location=world.location, on=clinic_today(world.location),
                          electroacupuncture=ea, point_codes=[])


def screen(world, kind="pre_treatment", **answers):
    """An intake, or today's pre-treatment check, signed through the services."""
    referral = {"referred_to": "Haematology", "patient_told": "See the specialist first."}
    if kind == "intake":
        return make_signed_screening(world.patient, world.practitioner, episode=world.episode,
                                     kind=kind, **referral, **answers)
    request = request_for(world.practitioner)
    draft = services.screening_start(episode=world.episode, kind=kind, request=request)
    data = answers_to_json(Answers(**{**CLEAR_ANSWERS, **answers}))
    return services.screening_sign(screening=draft, answers=data, request=request,
                                   expected_version=draft.version,
                                   changes=dict.fromkeys(services.CHANGE_QUESTIONS, False),
                                   **referral)


def acknowledge(world):
    """Acknowledge the latest screening's precautions: a clearance lifts the hold on
    needling, never the precaution (issue #26 re-test)."""
    latest = check(world).profile.screening
    services.precautions_acknowledge(screening=latest,
                                     texts=list(latest.decision["acknowledgements"]),
                                     request=request_for(world.practitioner))


def clear(world, screening, rules=None, allows="needling", **kwargs):
    fields = {"kind": "medical_clearance", "note": "Assessed; safe to needle.",
              "cleared_by_name": "Dr Anna Haem (haematology)",
              "cleared_on": clinic_today(world.location),
              "letter": "Letter of 3 Dec, filed in documents.", **kwargs}
    return services.referral_clear(screening=screening, rule_ids=rules, allows=allows,
                                   request=request_for(world.practitioner), **fields)


@pytest.mark.parametrize(("answers", "rule"), [
    ({"bleeding_disorder": True}, "CI-BLEEDING"),
    ({"spinal_instability": True}, "CI-SPINE"),
    ({"severe_neutropenia": True}, "CI-NEUTROPENIA"),
    ({"involuntary_movements": True}, "CI-MOVEMENT"),
])
def test_a_block_until_clearance_finding_can_be_cleared(ready, answers, rule):
    screening = screen(ready, kind="intake", **answers)
    assert not check(ready).allowed
    [clearance] = clear(ready, screening, rules=[rule])
    assert clearance.rule_id == rule and clearance.cleared_by_name.startswith("Dr Anna Haem")
    assert clearance.letter and clearance.cleared_on
    held = check(ready)
    assert all(p.startswith("Acknowledge before the first needle") for p in held.problems)
    acknowledge(ready)
    result = check(ready)
    assert result.allowed, result.problems
    assert result.profile.cleared_findings[0][0] == rule


def test_a_cleared_emergency_stays_cleared_at_the_next_check_with_unchanged_answers(ready):
    first = screen(ready, kind="intake", major_trauma=True)
    clear(ready, first)
    assert check(ready).allowed
    second = screen(ready, major_trauma=True)  # today's check: nothing changed
    result = check(ready)
    assert result.profile.screening.pk == second.pk
    assert result.allowed, result.problems
    ready.episode.refresh_from_db()
    assert ready.episode.status == EpisodeStatus.OPEN


def test_a_clearance_reopens_when_the_answers_that_raised_it_change(ready):
    first = screen(ready, kind="intake", major_trauma=True)
    clear(ready, first)
    screen(ready, major_trauma=True, saddle_numbness=True)  # RF-01 is new: not cleared
    assert not check(ready).allowed
    screen(ready, spinal_instability=True)
    clear_rule = ReferralClearance.objects.filter(rule_id="CI-SPINE")
    assert not clear_rule.exists() and not check(ready).allowed


@pytest.mark.parametrize(("answers", "rules"), [
    ({"major_trauma": True}, None),  # a new trauma in the same episode
    ({"bleeding_disorder": True}, ["CI-BLEEDING"]),
])
def test_a_finding_that_went_away_and_came_back_is_open_again(ready, answers, rules):
    first = screen(ready, kind="intake", **answers)
    clear(ready, first, rules=rules)
    screen(ready)  # a check in between: the finding is gone
    assert check(ready).allowed
    screen(ready, **answers)  # and back: the old clearance was for the old answers
    result = check(ready)
    assert not result.allowed and not result.profile.cleared_findings


def test_a_changed_finding_note_reopens_it(ready):
    first = screen(ready, kind="intake", unexplained_weight_loss=True, night_pain=True)
    clear(ready, first)  # RF-05, URGENT
    assert check(ready).allowed or "Acknowledge" in " ".join(check(ready).problems)
    screen(ready, unexplained_weight_loss=True, night_pain=True, thoracic_pain=True)
    result = check(ready)
    assert result.profile.open_referral
    assert any("Weaker cancer features" in p for p in result.problems)


def test_a_red_flag_clearance_does_not_carry_into_a_new_episode(ready):
    first = screen(ready, kind="intake", major_trauma=True)
    clear(ready, first)
    ready.episode = make_episode(ready.patient, ready.practitioner)
    screen(ready, kind="intake", major_trauma=True)
    assert check(ready).profile.open_referral


def test_a_condition_clearance_carries_into_a_new_episode(ready):
    first = screen(ready, kind="intake", bleeding_disorder=True)
    clear(ready, first, rules=["CI-BLEEDING"])
    ready.episode = make_episode(ready.patient, ready.practitioner)
    screen(ready, kind="intake", bleeding_disorder=True)
    acknowledge(ready)
    assert check(ready).allowed


def test_a_clearance_for_manual_needling_only_keeps_ea_blocked(ready):
    screening = screen(ready, kind="intake", bleeding_disorder=True)
    clear(ready, screening, rules=["CI-BLEEDING"], allows="manual_only")
    acknowledge(ready)
    assert check(ready).allowed
    result = check(ready, ea=True)
    assert not result.allowed
    assert any("manual needling only" in p for p in result.problems)


@pytest.mark.parametrize(("field", "value"), [("cleared_by_name", " "), ("cleared_on", None),
                                              ("letter", "")])
def test_a_clearance_needs_who_when_and_the_letter(ready, field, value):
    screening = screen(ready, kind="intake", bleeding_disorder=True)
    with pytest.raises(services.IncompleteClearance) as excinfo:
        clear(ready, screening, rules=["CI-BLEEDING"], **{field: value})
    assert field in excinfo.value.missing
    assert not ReferralClearance.objects.exists()


def test_only_open_findings_that_block_can_be_cleared(ready):
    screening = screen(ready, kind="intake", diabetes=True)
    with pytest.raises(services.ScreeningError):
        clear(ready, screening, rules=["CI-DIABETES"])


def test_the_screening_page_offers_and_records_a_clearance(ready, login):
    screening = screen(ready, kind="intake", spinal_instability=True)
    client = login(ready.practitioner)
    url = reverse("screening_detail", args=[ready.patient.pk, screening.pk])
    assert 'name="rules" value="CI-SPINE"' in client.get(url).content.decode()
    response = client.post(reverse("referral_clear", args=[ready.patient.pk, screening.pk]), {
        "rules": ["CI-SPINE"], "kind": "medical_clearance", "cleared_by_name": "Dr Sam Spine",
        "cleared_on": str(clinic_today(ready.location)), "letter": "Spinal surgeon's letter",
        "allows": "needling", "note": "Stable on flexion-extension views."})
    assert response.status_code == 302
    acknowledge(ready)
    assert check(ready).allowed
    page = client.get(url).content.decode()
    assert "Cleared" in page and "Dr Sam Spine" in page
