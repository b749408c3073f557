"""Episode and intake pages: drafts, signing, impossible answers, who may do what."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from acuback.audit.models import AuditEvent
from acuback.clinical.safety import RULESET_VERSION
from acuback.patients.models import EpisodeOfCare, EpisodeStatus
from acuback.screening.models import Screening
from tests.factories import CLEAR_ANSWERS, make_episode, make_signed_screening

NO = dict.fromkeys(CLEAR_ANSWERS, "no")


@pytest.fixture
def prac(world, login):
    return login(world.practitioner)


@pytest.fixture
def draft(world, prac):
    response = prac.post(reverse("episode_create", args=[world.patient.pk]), {
        "onset_date": "2026-03-01", "pain_regions": ["back_lower_left", "back_calf_left"],
        "radiating_leg_pain": "on", "cause": "nonspecific", "diagnosis_codes": "m54.42, M54.42"})
    screening = Screening.objects.get()
    assert response["Location"] == reverse("screening_detail",
                                           args=[world.patient.pk, screening.pk])
    return screening


def post(client, world, screening, action="save", **answers):
    data = {**NO, **answers, "action": action, "version": screening.version}
    screening.refresh_from_db()
    data["version"] = screening.version
    return client.post(reverse("screening_detail", args=[world.patient.pk, screening.pk]), data)


def test_opening_an_episode_stores_the_pain_drawing_and_normalised_codes(world, draft):
    episode = EpisodeOfCare.objects.get()
    assert episode.pain_regions == ["back_lower_left", "back_calf_left"]
    assert episode.diagnosis_codes == ["M54.42"]
    assert episode.radiating_leg_pain and episode.status == EpisodeStatus.OPEN
    assert draft.kind == "intake" and not draft.is_signed


@pytest.mark.parametrize("field, value, message", [
    ("onset_date", "2999-01-01", "cannot be in the future"),
    ("onset_date", "1900-01-01", "before the patient's date of birth"),
    ("diagnosis_codes", "M54.5", "category header"),
    ("diagnosis_codes", "XYZ", "not an ICD-10-CM code"),
    ("pain_regions", "elbow", "Select a valid choice"),
])
def test_episode_bad_input_is_named_on_its_field(world, prac, field, value, message):
    data = {"onset_date": "2026-03-01", "cause": "nonspecific", field: value}
    response = prac.post(reverse("episode_create", args=[world.patient.pk]), data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not EpisodeOfCare.objects.exists()


def test_a_specific_cause_code_needs_a_specific_cause(world, prac):
    response = prac.post(reverse("episode_create", args=[world.patient.pk]), {
        "onset_date": "2026-03-01", "cause": "nonspecific", "diagnosis_codes": "G83.4"})
    assert "specific-cause diagnosis code" in response.context["form"].errors["cause"][0]


def test_chronicity_is_derived_from_the_onset(world):
    today = timezone.localdate()
    episode = make_episode(world.patient, world.practitioner,
                           onset_date=today - timedelta(weeks=13))
    assert episode.chronicity == "chronic"


def test_a_draft_is_saved_partly_filled_and_resumed(world, prac, draft):
    response = prac.post(reverse("screening_detail", args=[world.patient.pk, draft.pk]),
                         {"action": "save", "version": draft.version, "night_pain": "yes"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.answers["night_pain"] is True and draft.answers["bladder_disturbance"] is None
    page = prac.get(reverse("screening_detail", args=[world.patient.pk, draft.pk]))
    assert page.context["form"]["night_pain"].value() == "yes"
    assert not draft.is_signed


def test_answers_the_chart_knows_are_derived(world, prac, draft):
    post(prac, world, draft)
    draft.refresh_from_db()
    assert draft.answers["leg_pain"] is True
    assert draft.answers["age"] == world.patient.age_on(timezone.localdate())
    assert draft.answers["back_pain_duration_weeks"] > 0


@pytest.mark.parametrize("answers, field, message", [
    ({"pregnant": "yes", "gestational_weeks": "43"}, "gestational_weeks", "less than or equal to 42"),
    ({"pregnant": "no", "gestational_weeks": "10"}, "gestational_weeks", "answer to pregnancy is No"),
    ({"device_1_kind": "pacemaker", "device_1_implanted_on": "2020-05-01",
      "device_1_removed_on": "2019-05-01"}, "device_1_removed_on", "before the implant date"),
    ({"device_1_region": "chest"}, "device_1_kind", "Say which device"),
    ({"device_1_kind": "pacemaker", "device_1_implanted_on": "2999-01-01"},
     "device_1_implanted_on", "in the future"),
    ({"night_pain": "maybe"}, "night_pain", "Select a valid choice"),
])
def test_impossible_answers_are_refused_on_their_field(world, prac, draft, answers, field,
                                                       message):
    response = post(prac, world, draft, **answers)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    draft.refresh_from_db()
    assert draft.answers == {}


def test_signing_a_clean_intake_stores_the_decision_and_rule_version(world, prac, draft):
    response = post(prac, world, draft, action="sign")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_signed and draft.outcome == "PROCEED" and draft.needling_allowed
    assert draft.rule_version == RULESET_VERSION and draft.signed_by == world.practitioner
    assert AuditEvent.objects.filter(action="screening.sign", patient=world.patient).exists()


def test_an_emergency_needs_referral_details_before_signing(world, prac, draft):
    response = post(prac, world, draft, action="sign", saddle_numbness="yes",
                    bladder_disturbance="yes")
    assert response.status_code == 400
    assert response.context["sign_form"].errors["referred_to"][0] == (
        "The result is a referral: say where the patient was referred before signing.")
    # The list at the top links each message to its question (issue #28 §5).
    html = response.content.decode()
    summary = html[html.find('id="error-summary"'):html.find("</div>", html.find('id="error-summary"'))]
    assert '<a href="#id_referred_to">' in summary and "say what the patient was told" in summary
    draft.refresh_from_db()
    assert not draft.is_signed
    response = post(prac, world, draft, action="sign", saddle_numbness="yes",
                    bladder_disturbance="yes", referred_to="ED",
                    patient_told="Go to the emergency department now.")
    draft.refresh_from_db()
    assert draft.outcome == "EMERGENCY" and not draft.needling_allowed
    assert EpisodeOfCare.objects.get().status == EpisodeStatus.ON_HOLD


def test_putting_the_episode_on_hold_records_when_it_changed(world, prac, draft):
    """The hold changes the FHIR Condition (its episode-status): its lastUpdated moves, so
    _lastUpdated and $export's _since find it (issue #30 §4)."""
    from datetime import timedelta

    from django.utils import timezone

    earlier = timezone.now() - timedelta(days=3)
    EpisodeOfCare.objects.update(updated_at=earlier)
    post(prac, world, draft, action="sign", saddle_numbness="yes", bladder_disturbance="yes",
         referred_to="ED", patient_told="Go to the emergency department now.")
    episode = EpisodeOfCare.objects.get()
    assert episode.status == EpisodeStatus.ON_HOLD and episode.updated_at > earlier


def test_a_signed_screening_cannot_be_changed(world, prac, draft):
    post(prac, world, draft, action="sign")
    response = post(prac, world, draft, action="save", saddle_numbness="yes")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.answers["saddle_numbness"] is False


def test_a_save_from_a_stale_page_is_refused(world, prac, draft):
    url = reverse("screening_detail", args=[world.patient.pk, draft.pk])
    prac.post(url, {**NO, "action": "save", "version": draft.version})
    response = prac.post(url, {**NO, "action": "save", "version": draft.version,
                               "night_pain": "yes"})
    assert response.status_code == 400
    assert "Someone else saved this screening" in response.content.decode()


def test_a_clinic_admin_may_save_a_draft_but_not_sign(world, login, draft):
    client = login(world.admin)
    assert post(client, world, draft).status_code == 302
    assert post(client, world, draft, action="sign").status_code == 403
    draft.refresh_from_db()
    assert not draft.is_signed


def test_front_desk_cannot_open_or_fill_the_intake(world, login, draft):
    client = login(world.front_desk)
    assert client.get(reverse("screening_detail",
                              args=[world.patient.pk, draft.pk])).status_code == 403
    assert post(client, world, draft).status_code == 403


def test_a_pre_treatment_check_starts_from_the_last_answers_but_not_todays(world, prac):
    signed = make_signed_screening(world.patient, world.practitioner, needle_phobia=True,
                                   hungry_or_exhausted_today=True)
    response = prac.post(reverse("screening_new", args=[world.patient.pk, signed.episode.pk]),
                         {"kind": "pre_treatment"})
    check = Screening.objects.exclude(pk=signed.pk).get()
    assert response.status_code == 302 and check.kind == "pre_treatment"
    assert check.answers["needle_phobia"] is True
    assert check.answers["hungry_or_exhausted_today"] is None


def test_a_pre_treatment_check_needs_an_intake_first(world, prac):
    episode = make_episode(world.patient, world.practitioner)
    response = prac.post(reverse("screening_new", args=[world.patient.pk, episode.pk]),
                         {"kind": "pre_treatment"}, follow=True)
    assert "Sign an intake screening before" in response.content.decode()
    assert not Screening.objects.exists()


def test_the_referral_letter_lists_findings_urgency_and_what_the_patient_was_told(world, prac):
    screening = make_signed_screening(world.patient, world.practitioner, saddle_numbness=True,
                                      bladder_disturbance=True, referred_to="Emergency department",
                                      patient_told="Go to the emergency department today.")
    page = prac.get(reverse("referral_letter", args=[world.patient.pk, screening.pk]))
    text = page.content.decode()
    assert "EMERGENCY referral" in text and "Same day" in text
    assert "Cauda equina syndrome" in text and "saddle numbness" in text
    assert "Go to the emergency department today." in text
    assert world.patient.mrn in text


def test_a_screening_without_referral_has_no_letter(world, prac):
    screening = make_signed_screening(world.patient, world.practitioner)
    response = prac.get(reverse("referral_letter", args=[world.patient.pk, screening.pk]))
    assert response.status_code == 302


def test_the_chart_shows_the_emergency_banner(world, prac):
    make_signed_screening(world.patient, world.practitioner, saddle_numbness=True,
                          referred_to="ED", patient_told="Go now.")
    page = prac.get(reverse("patient_chart", args=[world.patient.pk])).content.decode()
    assert "EMERGENCY referral open" in page and "Needling: <strong>not allowed" in page


def test_the_clinical_record_query_count_does_not_grow_with_the_record(world, prac):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("patient_clinical", args=[world.patient.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert prac.get(url).status_code == 200
        return len(ctx.captured_queries)

    make_signed_screening(world.patient, world.practitioner)
    small = count()
    for _ in range(6):
        make_signed_screening(world.patient, world.practitioner)
    assert count() == small <= 30


def test_discharging_an_episode_needs_a_reason_and_keeps_the_record(world, prac):
    episode = make_episode(world.patient, world.practitioner)
    url = reverse("episode_edit", args=[world.patient.pk, episode.pk])
    base = {"onset_date": "2026-01-10", "cause": "nonspecific", "version": episode.version}
    response = prac.post(url, {**base, "status": "discharged"})
    assert response.context["form"].errors["discharge_reason"] == ["Give the reason for discharge."]
    response = prac.post(url, {**base, "status": "discharged",
                               "discharge_reason": "Goals met"})
    assert response.status_code == 302
    episode.refresh_from_db()
    clinic_today = timezone.localdate(timezone=ZoneInfo(world.clinic.time_zone))
    assert episode.status == "discharged" and episode.discharged_on == clinic_today
    response = prac.post(reverse("screening_new", args=[world.patient.pk, episode.pk]),
                         {"kind": "intake"}, follow=True)
    assert "This episode is discharged" in response.content.decode()


def test_an_episode_edit_from_a_stale_page_is_refused(world, prac):
    episode = make_episode(world.patient, world.practitioner)
    url = reverse("episode_edit", args=[world.patient.pk, episode.pk])
    base = {"onset_date": "2026-01-10", "cause": "nonspecific", "status": "open",
            "version": episode.version}
    assert prac.post(url, {**base, "goals": "walk 1 km"}).status_code == 302
    response = prac.post(url, {**base, "goals": "sleep"})
    assert "Someone else changed this episode" in response.content.decode()
    episode.refresh_from_db()
    assert episode.goals == "walk 1 km"


def test_a_pre_treatment_check_asks_what_changed_before_signing(world, prac):
    intake = make_signed_screening(world.patient, world.practitioner)
    prac.post(reverse("screening_new", args=[world.patient.pk, intake.episode.pk]),
              {"kind": "pre_treatment"})
    check = Screening.objects.get(kind="pre_treatment")
    response = post(prac, world, check, action="sign")
    assert response.status_code == 400
    assert response.context["changes_form"].errors["changed_medicines"] == [
        "Ask the patient this and tick Yes or No before signing the check."]
    response = post(prac, world, check, action="sign", changed_medicines="yes",
                    changed_pregnancy="no", changed_symptoms="no", changed_red_flags="no",
                    takes_listed_medicines="yes", medication_classes=["antiplatelet"])
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.changes == {"medicines": True, "pregnancy": False, "symptoms": False,
                             "red_flags": False}
    assert "CI-ANTIPLATELET" in {f["rule"] for f in check.decision["findings"]}


def test_pregnancy_for_a_patient_male_at_birth_is_refused_on_the_field(world, prac, draft):
    world.patient.sex_at_birth = "male"
    world.patient.save()
    response = post(prac, world, draft, pregnant="yes")
    assert response.status_code == 400
    assert "sex at birth is male" in response.context["form"].errors["pregnant"][0]


def test_medicines_and_implants_are_questions_a_blank_is_not_none():
    """Clinician re-test of issue #26: a blank medicines question is stored as unknown,
    not as "none"; a "no" with a medicine ticked, or a "yes" with none, is refused on the
    field."""
    from acuback.screening.forms import IntakeForm

    blank = IntakeForm(data={})
    assert blank.is_valid(), blank.errors
    assert blank.cleaned_data["takes_listed_medicines"] == ""
    wrong = IntakeForm(data={"takes_listed_medicines": "no",
                             "medication_classes": ["anticoagulant"],
                             "has_implanted_device": "yes"})
    assert not wrong.is_valid()
    assert "medication_classes" in wrong.errors and "device_1_kind" in wrong.errors


def test_none_of_these_answers_no_to_a_groups_unanswered_questions_only(world, prac, draft):
    """Issue #28 §5: "None of these" per section; an answer given stays."""
    from acuback.screening.questions import GROUPS

    n, group = next((n, g) for n, g in enumerate(GROUPS) if g.title == "Bladder, bowel and nerves")
    fields = [q.field for q in group.questions]
    other = next(g for g in GROUPS if g is not group).questions[0].field
    data = {k: v for k, v in NO.items() if k not in fields and k != other}
    draft.refresh_from_db()
    response = prac.post(reverse("screening_detail", args=[world.patient.pk, draft.pk]),
                         {**data, fields[0]: "yes", f"none-{n}": "on", "action": "save",
                          "version": draft.version})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.answers[fields[0]] is True
    assert all(draft.answers[f] is False for f in fields[1:])
    assert draft.answers.get(other) is None  # other sections stay unanswered


def test_each_question_is_a_fieldset_whose_legend_is_the_question(world, prac, draft):
    html = prac.get(reverse("screening_detail", args=[world.patient.pk, draft.pk])).content.decode()
    assert re.search(r'<fieldset class="question[^"]*" id="q-saddle_numbness"[^>]*>\s*'
                     r'<legend class="q">Any new numbness', html)
    assert html.count('name="none-') >= 3
