"""Plans, sessions, addenda and adverse events."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from acuback import sql
from acuback.accounts import policy, zones
from acuback.accounts.models import Practitioner
from acuback.audit.services import audit_read, audit_record
from acuback.clinical import points
from acuback.patients.views import _get_episode, _get_patient
from acuback.row_ids import param_id
from acuback.screening.enforcement import NeedlingRefused
from acuback.screening.selectors import safety_profile

from . import selectors, services
from .forms import (
    AddendumForm,
    AdverseEventForm,
    IncidentForm,
    InsertionFormSet,
    NeedleSetFormSet,
    PlanForm,
    SessionForm,
    block_electrical,
    check_needle_sets,
    formset_rows,
)
from .models import AdverseEvent, Session, TreatmentPlan


def _session(request, pk, session_pk, permission) -> tuple:
    patient = _get_patient(request, pk, permission)
    # Only what the pages and the safety gate read (episode, plan, signer unread), joined
    # in one written-out read: the ORM spent 0.8 ms building and unpacking it.
    session = sql.by_pk(Session, session_pk, related=("practitioner", "location"))
    if session is None or session.patient_id != patient.pk:
        raise Http404("No such session for this patient.")
    session.patient = patient  # already loaded, with its clinic
    return patient, session


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int, episode_pk: int) -> HttpResponse:
    patient, episode = _get_episode(request, pk, episode_pk, "plan.manage")
    audit_read(request, patient)
    plan = TreatmentPlan.objects.filter(episode=episode, is_current=True).first()
    new = request.GET.get("new") == "1" or request.POST.get("new") == "1"
    form = PlanForm(request.POST or None, instance=None if new else plan)
    if request.method == "POST" and form.is_valid():
        data = form.plan_data()
        try:
            services.plan_save(episode=episode, data=data, request=request,
                               plan=None if new else plan,
                               expected_version=form.cleaned_data.get("version"))
        except services.PlanRefused as exc:
            for problem in exc.problems:
                form.add_error(problem.field, problem.message)
        except services.StaleDraft as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Treatment plan saved.")
            return redirect("patient_clinical", pk=patient.pk)
    return render(request, "treatment/plan_form.html", {
        "patient": patient, "episode": episode, "form": form, "plan": None if new else plan,
        "new": new or plan is None,
        "cautions": selectors.site_cautions(_prescribed_codes(form, None if new else plan)),
        "profile": safety_profile(patient=patient, on=timezone.localdate()),
    }, status=400 if form.errors else 200)


def _prescribed_codes(form: PlanForm, plan: TreatmentPlan | None) -> list[str]:
    """The codes the plan page shows cautions for: as entered, else as saved."""
    entered = getattr(form, "cleaned_data", {}).get("prescription")
    items = entered if isinstance(entered, list) else (plan.prescription if plan else [])
    return [item.get("code", "") for item in items]


@login_required
@require_POST
def session_new(request: HttpRequest, pk: int, episode_pk: int) -> HttpResponse:
    patient, episode = _get_episode(request, pk, episode_pk, "session.record",
                                    starts_record=True)
    location = patient.clinic.locations.filter(pk=param_id(request.POST.get("location"))).first() \
        or patient.clinic.locations.filter(is_active=True).first()
    try:
        session = services.session_start(
            episode=episode, practitioner=Practitioner.objects.filter(user=request.user).first(),
            location=location, request=request, source=request.POST.get("source", "blank"))
    except NeedlingRefused as exc:
        for problem in exc.problems:
            messages.error(request, problem)
        return redirect("needling_check", pk=patient.pk)
    except services.TreatmentError as exc:
        messages.error(request, str(exc))
        return redirect("patient_clinical", pk=patient.pk)
    return redirect("session_detail", pk=patient.pk, session_pk=session.pk)


@login_required
@require_http_methods(["GET", "POST"])
def session_detail(request: HttpRequest, pk: int, session_pk: int) -> HttpResponse:
    patient, session = _session(request, pk, session_pk, "patient.view_clinical")
    if request.method == "GET" or session.is_signed:
        if request.method == "POST":
            messages.error(request, "This session is signed: add an addendum instead.")
            return redirect("session_detail", pk=pk, session_pk=session_pk)
        audit_record(request=request, action="session.view", patient=patient, target=session)
        return _render_session(request, patient, session)
    policy.require(request.user, "session.record", patient.clinic_id)
    action = request.POST.get("action", "save")
    form = SessionForm(request.POST, instance=session, patient=patient)
    insertions = InsertionFormSet(request.POST, prefix="ins")
    needle_sets = NeedleSetFormSet(request.POST, prefix="set")
    valid = form.is_valid() & insertions.is_valid() & needle_sets.is_valid()
    set_problems = check_needle_sets(needle_sets) if needle_sets.is_valid() else []
    problems: list[str] = list(set_problems)
    if valid and not set_problems:
        data = {k: form.cleaned_data[k] for k in [*SessionForm.Meta.fields, "adjuncts"]}
        try:
            save = services.session_save_and_sign if action == "sign" else services.session_save
            session = save(session=session, data=data, insertions=formset_rows(insertions),
                           needle_sets=formset_rows(needle_sets),
                           expected_version=form.cleaned_data["version"], request=request)
        except services.NotSigned as exc:
            messages.error(request, "Draft saved, not signed: " + " ".join(exc.reasons))
            return redirect("session_detail", pk=pk, session_pk=session_pk)
        except NeedlingRefused as exc:
            problems += list(exc.problems)
        except services.TreatmentError as exc:
            problems.append(str(exc))
        else:
            if action == "autosave":
                return JsonResponse({"saved": True, "version": session.version,
                                     # the clock of the location, as on the page
                                     "at": zones.local(session.updated_at, session.location)
                                     .strftime("%H:%M:%S")})
            messages.success(request, "Session signed." if action == "sign" else "Draft saved.")
            return redirect("session_detail", pk=pk, session_pk=session_pk)
    if action == "autosave":
        return JsonResponse({"saved": False, "problems": problems or [
            "Some fields need a look: save with the button to see them."]}, status=409)
    return _render_session(request, patient, session, form=form, insertions=insertions,
                           needle_sets=needle_sets, problems=problems, status=400)


def _render_session(request, patient, session, form=None, insertions=None, needle_sets=None,
                    problems=(), status=200) -> HttpResponse:
    if form is None:
        form = SessionForm(instance=session, patient=patient,
                           initial={"version": session.version})
        rows = list(session.insertions.values(*services.INSERTION_FIELDS))
        insertions = InsertionFormSet(prefix="ins", initial=rows)
        needle_sets = NeedleSetFormSet(prefix="set", initial=list(
            session.needle_sets.values("order", "position", "face_to_face_minutes",
                                       "electrical")))
        codes = [r["point_code"] for r in rows]
    else:
        codes = [f.data.get(f.add_prefix("point_code"), "") for f in insertions.forms]
    cautions = selectors.site_cautions(codes)
    profile = safety_profile(patient=patient, on=session.session_date)
    if not profile.electroacupuncture_allowed:
        block_electrical(insertions, needle_sets)
    # A draft is its practitioner's (or their supervisor's): a colleague reads it only.
    can_record = policy.can(request.user, "session.record", patient.clinic_id) and (
        session.is_signed or policy.draft_editor(request.user, session.practitioner.user_id,
                                                 patient.clinic_id) is not None)
    return render(request, "treatment/session.html", {
        "patient": patient, "session": session, "form": form, "insertions": insertions,
        "needle_sets": needle_sets, "problems": problems, "cautions": cautions,
        "chest_check_needed": any(c.chest_check for c in cautions),
        "site_errors": _site_errors(insertions),
        "profile": profile,
        "can_edit": can_record and not session.is_signed,
        "can_sign": can_record and session.practitioner.user_id == request.user.pk,
        "can_addend": policy.can(request.user, "addendum.add", patient.clinic_id),
        "addendum_form": AddendumForm(), "incident_form": IncidentForm(),
        "events": session.adverse_events.all(),
        "catalogue": points.all_points() if not session.is_signed else [],
    }, status=status)


def _site_errors(insertions) -> list[str]:
    """Each needle-site error with its row and column, for the summary above the form."""
    if not insertions.is_bound:
        return []
    return [f"Needle site {number}, {form.fields[name].label}: {message}"
            for number, form in enumerate(insertions.forms, start=1)
            for name, messages in form.errors.items() if name in form.fields
            for message in messages]


@login_required
@require_POST
def addendum_create(request: HttpRequest, pk: int, session_pk: int) -> HttpResponse:
    _, session = _session(request, pk, session_pk, "addendum.add")
    form = AddendumForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write the addendum (at most 5,000 characters).")
    else:
        try:
            services.addendum_add(session=session, text=form.cleaned_data["text"],
                                  request=request)
        except services.TreatmentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Addendum added.")
    return redirect("session_detail", pk=pk, session_pk=session_pk)


@login_required
@require_POST
def needle_incident(request: HttpRequest, pk: int, session_pk: int) -> HttpResponse:
    _, session = _session(request, pk, session_pk, "session.record")
    form = IncidentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Describe the search and choose a severity.")
    else:
        try:
            services.needle_incident_record(session=session, request=request,
                                            description=form.cleaned_data["description"],
                                            severity=form.cleaned_data["severity"])
        except services.TreatmentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Incident recorded; the clinic admin has been alerted.")
    return redirect("session_detail", pk=pk, session_pk=session_pk)


@login_required
@require_http_methods(["GET", "POST"])
def adverse_event_new(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "adverse_event.record")
    audit_read(request, patient)
    session = Session.objects.filter(patient=patient, pk=param_id(request.GET.get("session"))).first()
    form = AdverseEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.adverse_event_record(patient=patient, session=session, request=request,
                                      data={k: form.cleaned_data[k]
                                            for k in AdverseEventForm.Meta.fields})
        messages.success(request, "Adverse event recorded.")
        return redirect("patient_clinical", pk=patient.pk)
    return render(request, "treatment/adverse_event_form.html",
                  {"patient": patient, "session": session, "form": form},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def adverse_event_acknowledge(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "adverse_event.acknowledge")
    event = get_object_or_404(AdverseEvent.objects.filter(patient=patient), pk=event_pk)
    services.adverse_event_acknowledge(event=event, request=request)
    messages.success(request, "Alert acknowledged.")
    return redirect("home")
