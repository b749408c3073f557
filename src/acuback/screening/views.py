"""Episodes, intake screening, the safety profile, referral letters, the needling check."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from acuback.accounts import policy, zones
from acuback.accounts.models import Practitioner
from acuback.audit.services import audit_read, audit_record
from acuback.clinical.safety import InvalidAnswer, Outcome
from acuback.patients import body_map
from acuback.patients import services as patient_services
from acuback.patients.models import EpisodeStatus
from acuback.patients.views import _get_episode, _get_patient
from acuback.web.params import int_or
from acuback.web.pdf import pdf_response, wants_pdf

from . import enforcement, services
from .forms import (
    AllergyForm,
    ChangesForm,
    ClearanceForm,
    EnteredInErrorForm,
    EpisodeForm,
    IntakeForm,
    LabResultForm,
    MedicationForm,
    NeedlingCheckForm,
    ProblemForm,
    SignForm,
    StopEntryForm,
    raise_on_field,
)
from .models import (
    Allergy,
    LabResult,
    Medication,
    Problem,
    Screening,
    ScreeningKind,
    ScreeningStatus,
)
from .selectors import (
    chart_lists,
    clearance_summary,
    decide_for_patient,
    finding_clearances,
    safety_profile,
)


def _get_screening(request, pk: int, screening_pk: int, permission: str):
    patient = _get_patient(request, pk, permission)
    screening = get_object_or_404(
        Screening.objects.filter(patient=patient).select_related("episode", "signed_by",
                                                                 "created_by"),
        pk=screening_pk)
    screening.patient = patient  # already loaded, with its clinic
    return patient, screening


@login_required
@require_http_methods(["GET", "POST"])
def episode_edit(request: HttpRequest, pk: int, episode_pk: int | None = None) -> HttpResponse:
    if episode_pk is None:
        patient, episode = _get_patient(request, pk, "episode.manage", starts_record=True), None
    else:
        patient, episode = _get_episode(request, pk, episode_pk, "episode.manage")
    audit_read(request, patient)
    form = EpisodeForm(request.POST or None, instance=episode, patient=patient)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields if name in form.fields}
        try:
            saved = patient_services.episode_save(
                patient=patient, data=data, request=request, episode=episode,
                expected_version=form.cleaned_data.get("version"))
        except patient_services.StaleEditError as exc:
            form.add_error(None, str(exc))
        else:
            if episode is None:
                screening = services.screening_start(episode=saved, kind=ScreeningKind.INTAKE,
                                                     request=request)
                messages.success(request, "Episode opened. Now the intake screening.")
                return redirect("screening_detail", pk=patient.pk, screening_pk=screening.pk)
            messages.success(request, "Episode saved.")
            return redirect("patient_clinical", pk=patient.pk)
    return render(request, "screening/episode_form.html", {
        "patient": patient, "episode": episode, "form": form,
        "regions": body_map.REGIONS, "outline": body_map.OUTLINE,
        "selected": set(form["pain_regions"].value() or []),
    }, status=400 if form.errors else 200)


@login_required
@require_POST
def screening_new(request: HttpRequest, pk: int, episode_pk: int) -> HttpResponse:
    patient, episode = _get_episode(request, pk, episode_pk, "screening.edit",
                                    starts_record=True)
    kind = request.POST.get("kind", ScreeningKind.PRE_TREATMENT)
    if kind not in ScreeningKind.values:
        kind = ScreeningKind.PRE_TREATMENT
    try:
        screening = services.screening_start(episode=episode, kind=kind, request=request)
    except services.ScreeningError as exc:
        messages.error(request, str(exc))
        return redirect("patient_clinical", pk=patient.pk)
    return redirect("screening_detail", pk=patient.pk, screening_pk=screening.pk)


@login_required
@require_http_methods(["GET", "POST"])
def screening_detail(request: HttpRequest, pk: int, screening_pk: int) -> HttpResponse:
    patient, screening = _get_screening(request, pk, screening_pk, "patient.view_clinical")
    # A draft is its author's (or their supervisor's; the clinical lead may type answers
    # in, not sign): a colleague sees it, read only.
    def editor(signing: bool) -> bool:
        return screening.is_signed or policy.draft_editor(
            request.user, screening.created_by_id, patient.clinic_id,
            lead_may_type=not signing) is not None

    can_edit = editor(False) and policy.can(request.user, "screening.edit", patient.clinic_id)
    can_sign = editor(True) and policy.can(request.user, "screening.sign", patient.clinic_id)
    if screening.is_signed or request.method == "GET":
        if request.method == "POST":
            messages.error(request, "This screening is signed and cannot be changed.")
            return redirect("screening_detail", pk=pk, screening_pk=screening_pk)
        audit_record(request=request, action="screening.view", patient=patient,
                     target=screening)
        return _render_screening(request, patient, screening, IntakeForm(stored=screening.answers),
                                 SignForm(initial={"referred_to": screening.referred_to,
                                                   "patient_told": screening.patient_told}),
                                 can_edit, can_sign)
    policy.require(request.user, "screening.edit", patient.clinic_id)
    form = IntakeForm(request.POST)
    sign_form = SignForm(request.POST)
    changes_form = ChangesForm(request.POST) if screening.kind == ScreeningKind.PRE_TREATMENT \
        else None
    signing = request.POST.get("action") == "sign"
    if signing:
        policy.require(request.user, "screening.sign", patient.clinic_id)
    version = int_or(request.POST.get("version"), screening.version)
    refusal = services.editor_refusal(screening, request, signing=signing)
    if refusal:  # a colleague's draft: say why, whatever the answers posted
        form.is_valid()
        form.add_error(None, refusal)
    elif form.is_valid() and sign_form.is_valid() and (changes_form is None
                                                     or changes_form.is_valid()):
        try:
            services.screening_submit(
                screening=screening, sign=signing, expected_version=version,
                answers=form.answers_json(patient=patient, episode=screening.episode,
                                          on=timezone.localdate()),
                referred_to=sign_form.cleaned_data["referred_to"],
                patient_told=sign_form.cleaned_data["patient_told"],
                changes=changes_form.as_json() if changes_form else None, request=request)
        except InvalidAnswer as exc:
            raise_on_field(form, exc)
        except services.IncompleteSignature as exc:
            for item, message in exc.missing.items():
                if item.startswith("changes."):
                    changes_form.add_error(f"changed_{item[8:]}", message)
                else:
                    sign_form.add_error(item, message)
        except services.ScreeningError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Screening signed." if signing
                             else "Draft saved. You can come back to it later.")
            return redirect("screening_detail", pk=pk, screening_pk=screening_pk)
    return _render_screening(request, patient, screening, form, sign_form, can_edit, can_sign,
                             status=400, changes_form=changes_form)


def _render_screening(request, patient, screening, form, sign_form, can_edit, can_sign,
                      status=200, changes_form=None, clearance_form=None) -> HttpResponse:
    clearances = finding_clearances(screening) if screening.is_signed else []
    preview = None
    if not screening.is_signed and screening.answers:
        try:
            preview = decide_for_patient(patient, screening.answers,
                                         zones.today_at(patient.clinic))
        except InvalidAnswer:
            preview = None
    return render(request, "screening/screening.html", {
        "patient": patient, "screening": screening, "form": form, "sign_form": sign_form,
        "changes_form": changes_form or (ChangesForm() if screening.kind ==
                                         ScreeningKind.PRE_TREATMENT else None),
        "can_edit": can_edit and not screening.is_signed,
        "can_sign": can_sign and not screening.is_signed,
        "can_clear": policy.can(request.user, "referral.clear", patient.clinic_id),
        "preview": preview, "decision": screening.decision,
        # Today's answer for the latest signed screening: the gate's own profile.
        "profile": safety_profile(patient=patient, on=zones.today_at(patient.clinic))
        if screening.is_signed else None,
        "clearance_form": clearance_form or ClearanceForm(
            open_findings=[f for f, c in clearances if c is None]),
        "clearances": [(f, c, clearance_summary(c) if c else "") for f, c in clearances],
        "acknowledged": {a.text for a in screening.acknowledgements.all()},
        "lists": chart_lists(patient),
        # Each "since the last visit" answer under the question it answers, not its key.
        "changes": [(ChangesForm.QUESTIONS.get(key, key.replace("_", " ").capitalize()), value)
                    for key, value in (screening.changes or {}).items()],
    }, status=status)


@login_required
def referral_letter(request: HttpRequest, pk: int, screening_pk: int) -> HttpResponse:
    patient, screening = _get_screening(request, pk, screening_pk, "patient.view_clinical")
    if not screening.is_referral:
        messages.error(request, "Only a screening that led to a referral has a letter.")
        return redirect("screening_detail", pk=pk, screening_pk=screening_pk)
    audit_record(request=request, action="referral.letter", patient=patient, target=screening)
    practitioner = Practitioner.objects.filter(user=screening.signed_by).first()
    context = {
        "patient": patient, "screening": screening, "outcome": screening.outcome_enum,
        "findings": [f for f in screening.decision["findings"]
                     if Outcome[f["outcome"]].is_referral],
        "practitioner": practitioner, "clinic": patient.clinic,
        "age": patient.age_on(timezone.localtime(screening.signed_at).date()),
    }
    if wants_pdf(request):
        return pdf_response(request, "screening/referral_letter.html", context,
                            f"referral-{patient.mrn}-{screening.signed_at:%Y%m%d}.pdf")
    return render(request, "screening/referral_letter.html", context)


@login_required
@require_POST
def referral_clear(request: HttpRequest, pk: int, screening_pk: int) -> HttpResponse:
    patient, screening = _get_screening(request, pk, screening_pk, "referral.clear")
    open_findings = [f for f, c in finding_clearances(screening) if c is None]
    form = ClearanceForm(request.POST, open_findings=open_findings)
    if not form.is_valid():
        return _refused_clearance(request, patient, screening, form)
    data = form.cleaned_data
    try:
        services.referral_clear(screening=screening, kind=data["kind"], note=data["note"],
                                cleared_by_name=data["cleared_by_name"],
                                cleared_on=data["cleared_on"], letter=data["letter"],
                                allows=data["allows"], rule_ids=data["rules"], request=request)
    except services.IncompleteClearance as exc:
        for name, text in exc.missing.items():
            form.add_error(name if name in form.fields else None, text)
        return _refused_clearance(request, patient, screening, form)
    except services.ScreeningError as exc:
        form.add_error(None, str(exc))
        return _refused_clearance(request, patient, screening, form)
    messages.success(request, "Clearance recorded.")
    return redirect("screening_detail", pk=pk, screening_pk=screening_pk)


def _refused_clearance(request, patient, screening, form) -> HttpResponse:
    """A refused clearance answers 400 with the form and its errors on its fields, as the
    project's other refused forms do (the page above it, read only)."""
    messages.error(request, "The clearance was not recorded: see the messages on the form.")
    return _render_screening(request, patient, screening, IntakeForm(stored=screening.answers),
                             SignForm(initial={"referred_to": screening.referred_to,
                                               "patient_told": screening.patient_told}),
                             False, False, status=400, clearance_form=form)


@login_required
@require_POST
def precautions_acknowledge(request: HttpRequest, pk: int, screening_pk: int) -> HttpResponse:
    patient, screening = _get_screening(request, pk, screening_pk, "needling.check")
    try:
        services.precautions_acknowledge(screening=screening,
                                         texts=request.POST.getlist("text"), request=request)
    except services.ScreeningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Precautions acknowledged.")
    return redirect("needling_check", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def needling_check(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "needling.check")
    audit_read(request, patient)
    form = NeedlingCheckForm(request.POST or None, patient=patient)
    result = None
    if request.method == "POST" and form.is_valid():
        result = enforcement.needling_check(
            patient=patient, practitioner=Practitioner.objects.filter(user=request.user).first(),
            location=form.cleaned_data["location"],
            on=zones.today_at(form.cleaned_data["location"]),
            electroacupuncture=form.cleaned_data["electroacupuncture"],
            point_codes=form.cleaned_data["points"])
        audit_record(request=request, action="needling.check", patient=patient,
                     detail={"allowed": result.allowed, "problems": len(result.problems)})
    profile = result.profile if result else safety_profile(patient=patient,
                                                           on=timezone.localdate())
    # Unanswered questions link to where they can be answered: an open draft, else the
    # signed screening (whose page offers today's check).
    answer_at = None
    if profile.unanswered:
        answer_at = Screening.objects.filter(
            patient=patient, status=ScreeningStatus.DRAFT).order_by("-pk").first() \
            or profile.screening
    return render(request, "screening/needling_check.html", {
        "patient": patient, "form": form, "result": result, "profile": profile,
        "answer_at": answer_at, "lists": chart_lists(patient),
        "open_episode": patient.episodes.exclude(status=EpisodeStatus.DISCHARGED).first(),
    }, status=400 if form.errors else 200)


# --- The medication, allergy and problem lists and results (issue #26 item 4) ---

LIST_KINDS = {"medication": (Medication, MedicationForm), "allergy": (Allergy, AllergyForm),
              "problem": (Problem, ProblemForm), "result": (LabResult, LabResultForm)}


def _lists_forms(today, bound_kind: str | None = None, data=None) -> dict:
    return {kind: form_class(data if kind == bound_kind else None, today=today,
                             prefix=kind)
            for kind, (_, form_class) in LIST_KINDS.items()}


def _render_lists(request, patient, forms_by_kind: dict, status: int = 200,
                  entry_error: tuple | None = None) -> HttpResponse:
    lists = chart_lists(patient)
    return render(request, "screening/lists.html", {
        "patient": patient, "lists": lists, "forms": forms_by_kind,
        "can_edit": policy.can(request.user, "screening.edit", patient.clinic_id),
        "stop_form": StopEntryForm(initial={"on": zones.today_at(patient.clinic)}),
        "error_form": EnteredInErrorForm(), "entry_error": entry_error,
    }, status=status)


@login_required
@require_http_methods(["GET"])
def patient_lists(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "patient.view_clinical")
    audit_read(request, patient)
    return _render_lists(request, patient, _lists_forms(zones.today_at(patient.clinic)))


@login_required
@require_POST
def list_entry_add(request: HttpRequest, pk: int, list_kind: str) -> HttpResponse:
    kind = list_kind
    if kind not in LIST_KINDS:
        raise Http404("No such list.")
    patient = _get_patient(request, pk, "screening.edit")
    model, _ = LIST_KINDS[kind]
    forms_by_kind = _lists_forms(zones.today_at(patient.clinic), kind, request.POST)
    form = forms_by_kind[kind]
    if not form.is_valid():
        return _render_lists(request, patient, forms_by_kind, status=400)
    services.list_entry_add(model=model, patient=patient, data=form.cleaned_data,
                            request=request)
    messages.success(request, "Added. The next pre-treatment check reads it.")
    return redirect("patient_lists", pk=patient.pk)


@login_required
@require_POST
def list_entry_change(request: HttpRequest, pk: int, list_kind: str, entry_pk: int,
                      action: str) -> HttpResponse:
    kind = list_kind
    if kind not in LIST_KINDS or action not in ("stop", "error"):
        raise Http404("No such list.")
    patient = _get_patient(request, pk, "screening.edit")
    model, _ = LIST_KINDS[kind]
    entry = get_object_or_404(model.objects.filter(patient=patient), pk=entry_pk)
    entry.patient = patient
    form = StopEntryForm(request.POST) if action == "stop" else EnteredInErrorForm(request.POST)
    try:
        if not form.is_valid():
            raise services.ScreeningError(" ".join(
                f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items()))
        if action == "stop":
            services.list_entry_stop(entry=entry, on=form.cleaned_data["on"], request=request)
        else:
            services.list_entry_error(entry=entry, reason=form.cleaned_data["reason"],
                                      request=request)
    except services.ScreeningError as exc:
        return _render_lists(request, patient, _lists_forms(zones.today_at(patient.clinic)),
                             status=400, entry_error=(kind, entry.pk, str(exc)))
    messages.success(request, "Saved. The next pre-treatment check reads the change.")
    return redirect("patient_lists", pk=patient.pk)


@login_required
@require_POST
def lists_review(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _get_patient(request, pk, "screening.edit")
    services.lists_review(patient=patient, request=request)
    messages.success(request, "The lists are marked reviewed.")
    return redirect("patient_lists", pk=patient.pk)
