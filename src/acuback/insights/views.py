"""Progress reports and discharge summaries (page and PDF), and the referral letter PDF."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from acuback.accounts import zones
from acuback.accounts.selectors import signature_block
from acuback.audit.services import audit_record
from acuback.outcomes import selectors as outcome_selectors
from acuback.outcomes.charts import episode_charts
from acuback.patients.views import _get_episode
from acuback.treatment.models import AdverseEvent, Session, SessionStatus
from acuback.web.pdf import pdf_response, wants_pdf

from .forms import RecipientForm


@login_required
def episode_report(request: HttpRequest, pk: int, episode_pk: int, kind: str) -> HttpResponse:
    """kind: "progress" (for a referring physician or payer) or "discharge"."""
    if kind not in ("progress", "discharge"):
        raise Http404("unknown report")
    patient, episode = _get_episode(request, pk, episode_pk, "patient.view_clinical")
    progress = outcome_selectors.progress(episode)
    sessions = list(Session.objects.filter(episode=episode, status=SessionStatus.SIGNED)
                    .select_related("practitioner").prefetch_related("insertions")
                    .order_by("session_date"))
    days = [s.session_date for s in sessions]
    recipient = RecipientForm(request.GET or None)
    if recipient.is_bound and not recipient.is_valid():
        return render(request, "insights/episode_report.html", {
            "patient": patient, "episode": episode, "kind": kind, "recipient": recipient,
            "title": "Progress report", "refused": True}, status=400)
    # Signed by the practitioner who makes it, else the one who saw the patient last.
    signer = getattr(request.user, "practitioner", None) or \
        (sessions[-1].practitioner if sessions else None)
    context = {
        "recipient": recipient,
        "to": recipient.cleaned_data if recipient.is_bound else {},
        "signature": signature_block(signer, zones.today_at(patient.clinic))
        if signer else None,
        "patient": patient, "episode": episode, "kind": kind, "progress": progress,
        "charts": episode_charts(episode, progress, days), "sessions": sessions,
        "events": AdverseEvent.objects.filter(patient=patient, session__episode=episode),
        "plan": episode.plans.filter(is_current=True).first(), "generated": timezone.now(),
        "title": "Discharge summary" if kind == "discharge" else "Progress report",
    }
    audit_record(request=request, action=f"report.{kind}", patient=patient, target=episode,
                 detail={"pdf": wants_pdf(request)})
    if wants_pdf(request):
        return pdf_response(request, "insights/episode_report.html", context,
                            f"{kind}-{patient.mrn}-{zones.today_at(patient.clinic)}.pdf")
    return render(request, "insights/episode_report.html", context)
