"""Doors that show clinical data behind a non-clinical permission (issue #25, second
re-test, point 1): the superbill (page and PDF) lists the patient's ICD-10 codes, the
research export holds every patient's scores.

Who sees a superbill (docs/access-control.md): the clinic admin (who bills and is the
clinical lead) and front desk (billing is part of their role in the permission table),
every read audited with what it showed; a practitioner only inside the care relationship
(the break-the-glass rule, as for the clinical record). Alice's record is alpha_prac's;
`colleague` is a practitioner of the same clinic with no care relationship."""

from __future__ import annotations

import pytest
from django.urls import reverse

from acuback.accounts import policy
from acuback.audit.models import AuditEvent
from tests.factories import make_practitioner, make_record, make_user


@pytest.fixture
def record(world):
    w = make_record(world)
    w.colleague = make_user(w.clinic, "practitioner", "dokafor")
    make_practitioner(w.clinic, w.colleague)
    return w


def _superbill(w, pdf: bool) -> str:
    url = reverse("patient_superbill", args=[w.patient.pk])
    return url + ("?format=pdf" if pdf else "")


def _break_glass(w, login):
    response = login(w.colleague).post(f"/patients/{w.patient.pk}/break-glass/", {
        "reason": "Covering for alpha_prac: the patient phoned about a bill"})
    assert response.status_code == 302


# actor -> what the superbill answers (200 shown, "glass" sent to break the glass)
SUPERBILL = {"front_desk": 200, "practitioner": 200, "clinic_admin": 200,
             "colleague": "glass", "colleague_glass": 200, "other_clinic": 404,
             "patient": 403, "other_patient": 404, "anonymous": 302}


@pytest.mark.parametrize("pdf", [False, True], ids=["page", "pdf"])
@pytest.mark.parametrize("actor", sorted(SUPERBILL))
def test_the_superbill_shows_diagnoses_only_to_whom_the_rules_allow(actor, pdf, record, login,
                                                                  monkeypatch):
    w = record
    if pdf:  # the PDF's content is its HTML: WeasyPrint is not what is tested here
        from acuback.billing import views as billing_views

        def html_only(request, template, context, filename):
            from django.shortcuts import render
            return render(request, template, context)

        monkeypatch.setattr(billing_views, "pdf_response", html_only)
    if actor == "colleague_glass":
        _break_glass(w, login)
    user = w.colleague if actor.startswith("colleague") else (
        None if actor == "anonymous" else w.user_for(actor))
    before = AuditEvent.objects.filter(action="billing.superbill").count()
    response = login(user).get(_superbill(w, pdf))
    expected = SUPERBILL[actor]
    if expected == "glass":
        assert response.status_code == 302 and "/break-glass/" in response["Location"]
        assert AuditEvent.objects.filter(action="billing.superbill").count() == before
        return
    assert response.status_code == expected
    body = response.content.decode()
    if expected != 200:
        assert "M54.50" not in body
        return
    assert "M54.50" in body
    event = AuditEvent.objects.filter(action="billing.superbill").latest("pk")
    assert AuditEvent.objects.filter(action="billing.superbill").count() == before + 1
    assert event.actor == user and event.patient == w.patient
    assert event.detail["shows"] == "diagnoses" and event.detail["pdf"] is pdf
    assert event.break_glass is (actor == "colleague_glass")


def test_the_research_export_asks_the_clinical_rule_not_the_billing_permission(
        record, login, monkeypatch):
    """Whoever is given the claims export (billing) is not thereby given every patient's
    scores: the research export is for the clinical lead, who oversees every record."""
    w = record
    monkeypatch.setitem(policy.RULES, "billing.export",
                        policy.RULES["billing.export"] | {policy.FRONT_DESK,
                                                          policy.PRACTITIONER})
    url = reverse("research_export")
    assert login(w.front_desk).get(url).status_code == 403
    assert login(w.practitioner).get(url).status_code == 403
    assert login(w.admin).get(url).status_code == 200


def test_a_claims_export_holds_only_the_patients_a_practitioner_treats(world, login,
                                                                       monkeypatch):
    """The claims lines carry diagnoses: given the export, a practitioner's file lists
    the patients they treat, never a colleague's (as every clinical list does)."""
    from datetime import date, timedelta

    from django.utils import timezone

    from acuback.billing.models import CoveragePlan, FeeSchedule, Payer
    from tests.factories import make_episode, make_signed_visit

    w = world
    w.colleague = make_user(w.clinic, "practitioner", "dokafor")
    make_practitioner(w.clinic, w.colleague)
    payer = Payer.objects.create(clinic=w.clinic, name="Acme Health", kind="commercial")
    CoveragePlan.objects.create(patient=w.patient, payer=payer, member_id="ACME-77",
                                effective_from=date(2025, 1, 1))
    FeeSchedule.objects.create(clinic=w.clinic, code="97810", amount="80.00")
    episode = make_episode(w.patient, w.practitioner, diagnosis_codes=["M54.50"])
    make_signed_visit(w.patient, w.practitioner_record, w.location, episode=episode,
                      day=timezone.localdate() - timedelta(days=2), sets=[(20, False)])
    monkeypatch.setitem(policy.RULES, "billing.export",
                        policy.RULES["billing.export"] | {policy.PRACTITIONER})
    url = reverse("claim_export") + "?format=json"
    lines = login(w.admin).get(url).json()["lines"]
    assert lines and any("M54.50" in str(line) for line in lines)  # the lead sees them
    assert login(w.practitioner).get(url).json()["lines"] == lines  # alpha_prac treats Alice
    assert login(w.colleague).get(url).json()["lines"] == []
    event = AuditEvent.objects.filter(action="billing.claim_export").latest("pk")
    assert event.actor == w.colleague and event.detail["shows"] == "diagnoses"
