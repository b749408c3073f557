"""Outcome pages: progress with charts, staff entry, corrections, links, and the
patient's own link pages (no account needed)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from acuback import sql
from acuback.accounts import policy, zones
from acuback.audit.services import audit_read, audit_record, mark_break_glass
from acuback.clinical import instruments
from acuback.clinical.instruments.phq import submittable_unscored
from acuback.patients import care
from acuback.patients.models import EpisodeOfCare
from acuback.patients.views import _get_episode, _get_patient
from acuback.web import limits
from acuback.web.links import url_format

from . import selectors, services
from .charts import episode_charts
from .forms import AlertForm, CorrectionForm, LinkForm, ResponseForm
from .models import (
    Channel,
    CompletedBy,
    OutcomeAlert,
    QuestionnaireResponse,
    ResponseStatus,
    TimePoint,
)
from .page_html import instrument_checkboxes, link_list, score_rows
from .schedule import patient_answerable


@login_required
def patient_outcomes(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "patient.view_clinical")
    # Links filled in from one reverse() per route: a page has dozens (~30 us each).
    enter = url_format("response_enter", "pk", "episode", "instrument")
    correct = url_format("response_correct", "pk", "response")

    def enter_links(episode: int, ids, time_point: str) -> list[tuple[str, str]]:
        return [(i, enter.format(pk=patient.pk, episode=episode, instrument=i) +
                 f"?time_point={time_point}") for i in ids]

    can_enter = policy.can(request.user, "outcome.enter", patient.clinic_id)
    correct_url = correct.replace("{pk}", str(patient.pk)) if can_enter else None
    choices = _link_choices(patient.clinic)
    link_form = LinkForm(choices=choices, patient=patient, in_person=True)
    episodes = []
    for o in selectors.patient_outcomes(patient, zones.today_at(patient.clinic)):
        charts = [(series, svg, score_rows(series.points, correct_url))
                  for series, svg in episode_charts(o.episode, o.progress, o.session_days)]
        episodes.append({
            "episode": o.episode, "progress": o.progress, "charts": charts,
            "due": [(d.label, enter_links(o.episode.pk, d.instruments, d.time_point))
                    for d in o.due],
            "enter_any": link_list(enter_links(
                o.episode.pk, [c[0] for c in choices] + ["schober", "ffd"], "other"))
            if can_enter else "",
            "link_form": link_form,
            "link_checkboxes": instrument_checkboxes(choices, o.episode.pk),
        })
    audit_record(request=request, action="outcomes.view", patient=patient, target=patient)
    # Written out, with the response each alert shows (the ORM read it once per alert).
    alerts = sql.fetch(OutcomeAlert, "t0.patient_id = %s AND t0.acknowledged_at IS NULL",
                       [patient.pk], related=("response",),
                       tail="ORDER BY t0.created_at DESC, t0.id DESC")
    # Who invited each alert's answers (one query, only when there is an alert): the
    # clinician judges an alert knowing how the answers came in (issue #25).
    # An alert from a home intake has no questionnaire response.
    answered = [a for a in alerts if a.response_id]
    inviters = get_user_model().objects.in_bulk(
        {a.response.invited_by_id for a in answered} - {None}) if answered else {}
    for a in answered:
        a.response.inviter = inviters.get(a.response.invited_by_id)
    return render(request, "outcomes/patient.html", {
        "patient": patient, "episodes": episodes,
        "alerts": alerts,
        "alert_form": AlertForm(),
        "can_enter": can_enter,
        "can_view_clinical": True,
    })


def _link_choices(clinic):
    """What a link may carry: questionnaires whose wording the patient can be shown."""
    answerable = set(patient_answerable(clinic, instruments.REGISTRY))
    return [(i.id, i.name) for i in instruments.all_instruments() if i.id in answerable]


@login_required
@require_http_methods(["GET", "POST"])
def response_enter(request: HttpRequest, pk: int, episode_pk: int,
                   instrument_id: str) -> HttpResponse:
    patient, episode = _get_episode(request, pk, episode_pk, "outcome.enter")
    audit_read(request, patient)
    instrument = _instrument_or_404(instrument_id)
    time_point = request.GET.get("time_point") or request.POST.get("time_point") or "other"
    if time_point not in TimePoint.values:
        time_point = TimePoint.OTHER
    draft = services.open_draft(episode_id=episode.pk, instrument_id=instrument.id,
                                time_point=time_point)
    return _questionnaire(request, patient=patient, episode=episode, instrument=instrument,
                          time_point=time_point, completed_by=CompletedBy.STAFF, draft=draft,
                          done_url=f"/patients/{patient.pk}/outcomes/")


@login_required
@require_http_methods(["GET", "POST"])
def response_correct(request: HttpRequest, pk: int, response_pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "outcome.enter")
    audit_read(request, patient)
    original = get_object_or_404(QuestionnaireResponse.objects.current().filter(patient=patient),
                                 pk=response_pk)
    instrument = instruments.get(original.instrument)
    correction = CorrectionForm(request.POST or None)
    return _questionnaire(request, patient=patient, episode=original.episode,
                          instrument=instrument, time_point=original.time_point,
                          completed_by=CompletedBy.STAFF, draft=None, supersedes=original,
                          correction=correction, done_url=f"/patients/{patient.pk}/outcomes/")


def _instrument_or_404(instrument_id: str):
    from django.http import Http404

    try:
        return instruments.get(instrument_id)
    except ValueError:
        raise Http404("unknown questionnaire") from None


def _questionnaire(request, *, patient, episode, instrument, time_point, completed_by, draft,
                   done_url, link=None, supersedes=None, correction=None, token=None):
    """Show and take one questionnaire, for staff and for the patient's link alike."""
    mode, texts, copyright_notice = services.wording_for(patient.clinic, instrument.id)
    stored = (draft.answers if draft else supersedes.answers if supersedes else None)
    labels = (draft.item_labels if draft else supersedes.item_labels if supersedes else None)
    form = ResponseForm(request.POST or None, instrument=instrument, texts=texts,
                        stored=stored, labels=labels,
                        option_labels=_option_labels(patient.clinic, instrument.id, mode))
    status = 200
    if request.method == "POST":
        submit = request.POST.get("action") == "submit"
        valid = form.is_valid() & (correction is None or correction.is_valid())
        if valid:
            answers = form.answers()
            result = instruments.score(instrument.id, answers) if submit else None
            if submit and result.total is None and not (
                    instrument.id == "phq9" and submittable_unscored(answers)):
                form.add_error(None, f"Not complete yet: {result.note}. Answer the remaining "
                               "questions, or save and come back later.")
            else:
                response = services.response_save(
                    patient=patient, episode=episode, instrument_id=instrument.id,
                    time_point=time_point, answers=answers, submit=submit,
                    completed_by=completed_by, request=request, link=link,
                    item_labels=form.labels(), supersedes=supersedes,
                    correction_reason=correction.cleaned_data["correction_reason"]
                    if correction else "", wording=mode)  # what the form showed
                follow = services.follow_up_for(response)
                if follow and link is not None:
                    services.link_add(link, follow)
                if link is not None and submit and services.link_finish_if_done(link):
                    return redirect("questionnaire_thanks")
                messages.success(request, "Thank you: answers submitted." if submit
                                 else "Saved. You can finish later from the same link."
                                 if link else "Draft saved.")
                if follow:
                    messages.warning(request, f"Please also complete the "
                                     f"{instruments.get(follow).name}.")
                return redirect(done_url)
        status = 400
    return render(request, "outcomes/questionnaire.html", {
        "patient": patient, "instrument": instrument, "form": form, "mode": mode,
        "copyright": copyright_notice, "time_point": time_point, "link": link, "token": token,
        "correction": correction, "supersedes": supersedes, "done_url": done_url,
    }, status=status)


def _option_labels(clinic, instrument_id: str, mode: str) -> dict[int, dict]:
    if mode != "licensed":
        return {}
    from .models import InstrumentText

    loaded = InstrumentText.objects.get(clinic=clinic, instrument=instrument_id)
    return {int(k): v.get("options", {}) for k, v in loaded.items.items()}


@login_required
@require_POST
def link_send(request: HttpRequest, pk: int, episode_pk: int) -> HttpResponse:
    """Make a questionnaire link: e-mailed to the address on the patient's record, or
    handed over in person by someone who may see the clinical record. Whoever may not
    (front desk, a colleague outside the care relationship) gets the same answer whether
    or not the episode exists: they learn nothing of the clinical record (issue #25)."""
    patient = _get_patient(request, pk, "outcome.send_link")
    access = care.clinical_access(request.user, patient)
    sees_record = access in (care.Access.CARE, care.Access.GLASS)
    if access is care.Access.GLASS:
        mark_break_glass(request, patient)
    # Written out (acuback.sql), as _get_episode reads it.
    episode = next(iter(sql.fetch(EpisodeOfCare, "t0.id = %s AND t0.patient_id = %s",
                                  [episode_pk, patient.pk])), None)
    if episode is None and sees_record:
        raise Http404("No such episode for this patient.")
    form = LinkForm(request.POST, choices=_link_choices(patient.clinic), patient=patient,
                    in_person=sees_record)
    if not form.is_valid():
        messages.error(request, "Choose the questionnaires and the time point. " + " ".join(
            form.errors.get("delivery", [])))
    elif episode is not None:
        episode.patient = patient
        try:
            link = services.link_create(episode=episode, request=request,
                                        instrument_ids=form.cleaned_data["instruments"],
                                        time_point=form.cleaned_data["time_point"],
                                        delivery=form.cleaned_data["delivery"])
            if link.delivery == Channel.EMAIL:
                services.link_email(link=link, request=request)
        except services.OutcomeError as exc:
            if sees_record:
                messages.error(request, str(exc))
        else:
            if sees_record:
                messages.success(request, f"E-mailed to {link.sent_to}." if link.sent_to else
                                 f"Hand this link to {patient.given_name} now: "
                                 f"{services.link_url(request, link)}")
    if not sees_record:
        if form.is_valid():
            messages.success(request, f"If {patient.given_name} has that episode of care, the "
                             "link is on its way to the e-mail address on the record.")
        return redirect("patient_chart", pk=patient.pk)
    return redirect("patient_outcomes", pk=patient.pk)


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int, alert_pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "outcome.alert.acknowledge")
    alert = get_object_or_404(OutcomeAlert.objects.filter(patient=patient), pk=alert_pk)
    form = AlertForm(request.POST)
    try:
        if not form.is_valid():
            raise services.OutcomeError("Record the follow-up before closing the alert.")
        services.alert_acknowledge(alert=alert, note=form.cleaned_data["note"], request=request)
    except services.OutcomeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Follow-up recorded.")
    return redirect("patient_outcomes", pk=patient.pk)


# --- the patient's link: no account, a signed single-use token --------------------------

def _link_or_error(request, token):
    try:
        link = services.link_open(token)
    except services.LinkInvalid as exc:
        return None, render(request, "outcomes/link_error.html", {"message": str(exc)},
                            status=410 if "expired" in str(exc) or "used" in str(exc) else 400)
    # The patient has no account, so no zone of their own: the clinic's calendar (the
    # middleware resets the zone after the request).
    timezone.activate(zones.zone_of(link.patient.clinic))
    return link, None


@require_http_methods(["GET"])
def questionnaire_link(request: HttpRequest, token: str) -> HttpResponse:
    link, error = _link_or_error(request, token)
    if error:
        return error
    responses = selectors.drafts_for_link(link)
    items = [(instruments.get(i), responses.get(i)) for i in services.link_instruments(link)]
    done = sum(1 for _, r in items if r and r.status == ResponseStatus.SUBMITTED)
    audit_record(request=request, action="outcome.link.open", patient=link.patient,
                 target=link)
    return render(request, "outcomes/link.html", {
        "link": link, "token": token, "items": items, "done": done, "total": len(items),
        "clinic": link.patient.clinic,
    })


@require_http_methods(["GET", "POST"])
def questionnaire_link_item(request: HttpRequest, token: str, instrument_id: str) -> HttpResponse:
    link, error = _link_or_error(request, token)
    if error:
        return error
    if request.method == "POST":
        wait = limits.retry_after(request, ("link_submit_per_link", str(link.pk)),
                                  ("link_submit_per_client", limits.client_address(request)))
        if wait is not None:
            return limits.too_many_page(request, wait)
    if instrument_id not in services.link_instruments(link):
        return render(request, "outcomes/link_error.html",
                      {"message": "This questionnaire is not part of your link."}, status=404)
    existing = link.responses.filter(instrument=instrument_id).first()
    if existing and existing.status == ResponseStatus.SUBMITTED:
        messages.info(request, "You have already answered this one. Thank you.")
        return redirect("questionnaire_link", token=token)
    return _questionnaire(request, patient=link.patient, episode=link.episode,
                          instrument=instruments.get(instrument_id), time_point=link.time_point,
                          completed_by=CompletedBy.PATIENT, draft=existing, link=link,
                          token=token, done_url=f"/q/{token}/")


@login_required
@require_POST
def portal_questionnaires(request: HttpRequest, episode_pk: int, time_point: str) -> HttpResponse:
    """A logged-in patient answers what is due: a fresh link to their own set."""
    from acuback.patients.models import Patient

    patient = get_object_or_404(Patient.objects.visible_to(request.user),
                                portal_user=request.user)
    episode = get_object_or_404(patient.episodes.all(), pk=episode_pk)
    due = next((d for d in selectors.due_for(episode, zones.today_at(patient.clinic))
                if d.time_point == time_point), None)
    own = list(patient_answerable(patient.clinic, due.instruments)) if due else []
    if not own:
        messages.info(request, "Nothing is due for you to answer just now. Thank you.")
        return redirect("home")
    link = services.link_create(episode=episode, time_point=time_point, request=request,
                                instrument_ids=own, delivery=Channel.PORTAL)
    return redirect("questionnaire_link", token=services.link_token(link))


def questionnaire_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "outcomes/link_error.html", {
        "message": "Thank you: all your answers are with the clinic. You can close this page."})
