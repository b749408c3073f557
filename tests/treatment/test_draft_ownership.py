"""A draft that belongs to one clinician (a session note, a screening, a plan) is changed
only by its author or the supervisor named on the author's record, recorded as such; the
safety gate checks the person who records the needling, at every save (issue #25,
section 3: dokafor, licence expired, broke the glass and saved needle insertions into
mlin's draft)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from acuback.accounts.models import Practitioner
from acuback.audit.models import AuditEvent
from acuback.screening import services as screening_services
from acuback.screening.enforcement import NeedlingRefused
from acuback.screening.models import Screening
from acuback.treatment import services
from acuback.treatment.models import Insertion, TreatmentPlan
from tests.factories import clinic_today, make_practitioner, make_user, request_for
from tests.treatment.test_pages import PLAN, new_session, session_post
from tests.treatment.test_sessions import save, site, start


@pytest.fixture
def colleague(ready):
    """dokafor: a practitioner of the clinic whose licence has expired."""
    user = make_user(ready.clinic, "practitioner", "dokafor")
    user.record = make_practitioner(ready.clinic, user, expires_in_days=-3)
    return user


@pytest.fixture
def supervisor(ready):
    user = make_user(ready.clinic, "practitioner", "jporter")
    user.record = make_practitioner(ready.clinic, user)
    Practitioner.objects.filter(pk=ready.practitioner_record.pk).update(supervisor=user.record)
    ready.practitioner_record.refresh_from_db()
    return user


def _break_glass(client, patient):
    client.post(reverse("break_glass", args=[patient.pk]),
                {"reason": "Covering the clinic while mlin is out"})


def test_a_colleague_cannot_record_needling_in_anothers_draft(ready, colleague, login):
    session = new_session(ready, login(ready.practitioner))
    client = login(colleague)
    _break_glass(client, ready.patient)
    response = session_post(client, ready, session)
    assert response.status_code == 400
    assert "only they (or their supervisor) change it" in response.content.decode()
    assert not Insertion.objects.filter(session=session).exists()
    assert not AuditEvent.objects.filter(action="session.save", actor=colleague).exists()
    # Read only for the colleague: no save or sign buttons on the page.
    page = client.get(reverse("session_detail", args=[ready.patient.pk, session.pk]))
    assert page.status_code == 200 and page.context["can_edit"] is False


def test_the_service_refuses_a_colleague_at_every_save(ready, colleague):
    session = start(ready)
    for write in (lambda: save(ready, session, [site("BL23")], user=colleague),
                  lambda: services.session_save_and_sign(
                      session=session, data={"needles_removed": 2}, insertions=[site("BL23")],
                      needle_sets=[{"order": 1, "position": "", "face_to_face_minutes": 15,
                                    "electrical": False}],
                      expected_version=session.version, request=request_for(colleague)),
                  lambda: services.session_sign(session=session,
                                                expected_version=session.version,
                                                request=request_for(colleague))):
        with pytest.raises(services.TreatmentError,
                           match="only they|Only the practitioner who gave"):
            write()
    assert not Insertion.objects.filter(session=session).exists()


def test_the_gate_checks_the_supervisor_who_records(ready, supervisor):
    """The supervisor may change the draft (recorded as such), and the gate checks them
    too: with their licence lapsed, their save is refused."""
    session = start(ready)
    saved = save(ready, session, [site("BL23")], user=supervisor)
    assert saved.needles_inserted == 2
    event = AuditEvent.objects.filter(action="session.save").latest("pk")
    assert event.actor == supervisor and event.detail == {"as": "supervisor"}
    from datetime import timedelta

    supervisor.record.credentials.update(
        expires_on=clinic_today(ready.location) - timedelta(days=1))
    with pytest.raises(NeedlingRefused) as excinfo:
        save(ready, session, [site("BL25")], user=supervisor)
    assert any(supervisor.record.display_name in p and "not cleared" in p
               for p in excinfo.value.problems)
    assert list(Insertion.objects.filter(session=session).values_list("point_code",
                                                                       flat=True)) == ["BL23"]


def test_a_colleague_cannot_change_or_sign_anothers_draft_screening(ready, colleague):
    draft = screening_services.screening_start(episode=ready.episode, kind="pre_treatment",
                                               request=request_for(ready.practitioner))
    with pytest.raises(screening_services.ScreeningError, match="a colleague's"):
        screening_services.screening_save_draft(screening=draft, answers=draft.answers,
                                                expected_version=draft.version,
                                                request=request_for(colleague))
    with pytest.raises(screening_services.ScreeningError, match="a colleague's"):
        screening_services.screening_sign(screening=draft, answers=draft.answers,
                                          expected_version=draft.version, referred_to="",
                                          patient_told="", request=request_for(colleague),
                                          changes=dict.fromkeys(
                                              screening_services.CHANGE_QUESTIONS, False))
    draft.refresh_from_db()
    assert draft.version == 1 and draft.status == "draft"


def test_an_intake_typed_in_by_the_clinic_admin_is_any_clinicians_to_sign(ready, colleague):
    from tests.factories import make_episode

    episode = make_episode(ready.patient, ready.admin)
    draft = screening_services.screening_start(episode=episode, kind="intake",
                                               request=request_for(ready.admin))
    saved = screening_services.screening_save_draft(
        screening=draft, answers=ready.intake.answers, expected_version=draft.version,
        request=request_for(ready.practitioner))
    assert saved.version == 2
    assert Screening.objects.get(pk=draft.pk).answers == ready.intake.answers


def test_a_colleague_makes_a_new_plan_rather_than_change_anothers(ready, colleague, login):
    url = reverse("plan_edit", args=[ready.patient.pk, ready.episode.pk])
    assert login(ready.practitioner).post(url, PLAN).status_code == 302
    client = login(colleague)
    _break_glass(client, ready.patient)
    response = client.post(url, {**PLAN, "prescription": "BL25",
                                 "version": TreatmentPlan.objects.get().version})
    assert response.status_code == 400
    assert "only its author (or their supervisor) changes it" in response.content.decode()
    assert TreatmentPlan.objects.get().prescription[0]["code"] == "BL23"
    assert client.post(url + "?new=1", {**PLAN, "new": "1", "prescription": "BL25"}
                       ).status_code == 302
    current = TreatmentPlan.objects.get(is_current=True)
    assert current.created_by == colleague and current.prescription[0]["code"] == "BL25"


def test_the_clinic_admin_types_into_a_draft_screening_recorded_as_clinical_lead(ready):
    draft = screening_services.screening_start(episode=ready.episode, kind="pre_treatment",
                                               request=request_for(ready.practitioner))
    screening_services.screening_save_draft(screening=draft, answers=draft.answers,
                                            expected_version=draft.version,
                                            request=request_for(ready.admin))
    event = AuditEvent.objects.filter(action="screening.save_draft").latest("pk")
    assert event.actor == ready.admin and event.detail == {"as": "clinical_lead"}


@pytest.fixture
def lead_who_treats(ready):
    """A clinic admin who also treats: the clinical lead types into screening drafts, but
    a colleague's plan and a colleague's signature stay the colleague's."""
    from acuback.accounts.models import Membership

    user = make_user(ready.clinic, "practitioner", "lead_practitioner")
    Membership.objects.create(user=user, clinic=ready.clinic, role="clinic_admin")
    user.record = make_practitioner(ready.clinic, user)
    return user


def test_a_clinical_lead_who_treats_does_not_sign_a_colleagues_screening(ready,
                                                                         lead_who_treats):
    draft = screening_services.screening_start(episode=ready.episode, kind="pre_treatment",
                                               request=request_for(ready.practitioner))
    with pytest.raises(screening_services.ScreeningError, match="a colleague's"):
        screening_services.screening_sign(screening=draft, answers=draft.answers,
                                          expected_version=draft.version, referred_to="",
                                          patient_told="", request=request_for(lead_who_treats),
                                          changes=dict.fromkeys(
                                              screening_services.CHANGE_QUESTIONS, False))
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.signed_by is None


def test_a_clinical_lead_who_treats_makes_a_new_plan_rather_than_change_a_colleagues(
        ready, lead_who_treats, login):
    url = reverse("plan_edit", args=[ready.patient.pk, ready.episode.pk])
    assert login(ready.practitioner).post(url, PLAN).status_code == 302
    response = login(lead_who_treats).post(url, {**PLAN, "prescription": "BL25",
                                                 "version": TreatmentPlan.objects.get().version})
    assert response.status_code == 400
    assert TreatmentPlan.objects.get().prescription[0]["code"] == "BL23"


@pytest.mark.parametrize("action", ["save", "sign"])
def test_a_refused_post_on_a_colleagues_draft_screening_says_why(ready, colleague, login,
                                                                  action):
    """Issue #25, third re-test, point 5: the 400 showed no message (the page hid it with
    the form, which a colleague does not get)."""
    draft = screening_services.screening_start(episode=ready.episode, kind="pre_treatment",
                                               request=request_for(ready.practitioner))
    client = login(colleague)
    _break_glass(client, ready.patient)
    response = client.post(reverse("screening_detail", args=[ready.patient.pk, draft.pk]),
                           {"action": action, "version": draft.version})
    assert response.status_code == 400
    assert "a colleague&#x27;s: only its author" in response.content.decode()
    draft.refresh_from_db()
    assert draft.version == 1 and draft.status == "draft"
