import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from acuback.audit.services import audit_record


def _audit_refusal(request: HttpRequest, action: str) -> None:
    """Refused requests of logged-in users are kept: repeated guesses show in the log."""
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        audit_record(request=request, action=action,
                     detail={"method": request.method, "path": request.path[:300]})


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
    audit_record(request=request, action="security.csrf_failure",
                 actor=request.user if getattr(request, "user", None) is not None
                 and request.user.is_authenticated else None,
                 detail={"reason": reason[:200], "path": request.path[:300]})
    return render(request, "web/error.html", {
        "title": "Form expired",
        "message": "This form could not be accepted (its security token was missing or "
                   "did not match). Go back, reload the page and try again.",
    }, status=403)
