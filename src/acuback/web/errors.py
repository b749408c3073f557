import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from acuback.audit.services import audit_refusal


def _aimed_at(request: HttpRequest) -> tuple[int | None, str]:
    """The clinic (and "model:id") of the object a refused URL names, where the URL names
    one that exists: the patient of every /patients/<pk>/ page, an appointment, a
    practitioner, an episode of the portal, a clinic's booking page. (None, "") otherwise."""
    from acuback.accounts.models import Clinic, Practitioner
    from acuback.patients.models import EpisodeOfCare, Patient
    from acuback.scheduling.models import Appointment

    match = getattr(request, "resolver_match", None)
    if match is None:
        return None, ""
    kwargs = match.kwargs
    if "pk" in kwargs and match.route.startswith("patients/"):
        found = (Patient, "clinic_id", kwargs["pk"])
    elif "pk" in kwargs and match.url_name == "practitioner_detail":
        found = (Practitioner, "clinic_id", kwargs["pk"])
    elif "appointment_pk" in kwargs:
        found = (Appointment, "clinic_id", kwargs["appointment_pk"])
    elif "episode_pk" in kwargs:
        found = (EpisodeOfCare, "patient__clinic_id", kwargs["episode_pk"])
    elif "clinic_slug" in kwargs:
        clinic_id = Clinic.objects.filter(slug=kwargs["clinic_slug"]).values_list(
            "pk", flat=True).first()
        return clinic_id, f"accounts.clinic:{clinic_id}" if clinic_id else ""
    else:
        return None, ""
    model, path, pk = found
    if not isinstance(pk, int):
        return None, ""
    clinic_id = model.objects.filter(pk=pk).values_list(path, flat=True).first()
    return clinic_id, f"{model._meta.label_lower}:{pk}" if clinic_id else ""


def _audit_refusal(request: HttpRequest, action: str) -> None:
    """Refused requests of logged-in users are kept: repeated guesses show in the log of
    the clinic they were aimed at (audit.services.audit_refusal)."""
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        clinic_id, target = _aimed_at(request)
        audit_refusal(request, action, aimed_clinic_id=clinic_id, target=target)


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    _audit_refusal(request, "security.forbidden")
    # A refusal written for the person (shown_to_user) says why; others stay generic.
    message = (str(exception) if getattr(exception, "shown_to_user", False) else
               "Your role does not give access to this page. Ask your clinic admin if you "
               "need it.")
    return render(request, "web/error.html", {"title": "Not allowed", "message": message},
                  status=403)


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    _audit_refusal(request, "security.not_found")
    return render(request, "web/error.html", {
        "title": "Not found",
        "message": "There is nothing here, or it belongs to a clinic you do not work for.",
    }, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """A page that needs nothing that may have failed: rendered without the request (no
    session, user or context processors, which read the database). A database that is
    down or restarting is a 503 the user can wait out, not a bare "Server Error"."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        response = HttpResponse(render_to_string("web/unavailable.html", {
            "title": "Briefly unavailable",
            "message": "acuback cannot reach its database at the moment. Nothing you saved "
                       "before is lost. Please try again in a minute.",
        }), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponse(render_to_string("web/unavailable.html", {
        "title": "Something went wrong",
        "message": "This page failed, and the error has been logged for the clinic's "
                   "administrator. Go back and try again; if it keeps happening, tell them.",
    }), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A forged or missing CSRF token: refused and audited, for anyone."""
    clinic_id, target = _aimed_at(request)
    audit_refusal(request, "security.csrf_failure", aimed_clinic_id=clinic_id, target=target,
                  detail={"reason": reason[:200]})
    return render(request, "web/error.html", {
        "title": "Form expired",
        "message": "This form could not be accepted (its security token was missing or "
                   "did not match). Go back, reload the page and try again.",
    }, status=403)
