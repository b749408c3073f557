from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from acuback.audit.services import audit_record


def _audit_refusal(request: HttpRequest, action: str) -> None:
    """Refused requests of logged-in users are kept: repeated guesses show in the log."""
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        audit_record(request=request, action=action,
                     detail={"method": request.method, "path": request.path[:300]})


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    _audit_refusal(request, "security.forbidden")
    return render(request, "web/error.html", {
        "title": "Not allowed",
        "message": "Your role does not give access to this page. "
        "Ask your clinic admin if you need it.",
    }, status=403)


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    _audit_refusal(request, "security.not_found")
    return render(request, "web/error.html", {
        "title": "Not found",
        "message": "There is nothing here, or it belongs to a clinic you do not work for.",
    }, status=404)



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
