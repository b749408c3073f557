"""Show times in the clinic's own time zone."""

from __future__ import annotations

import time
import zoneinfo

from django.utils import timezone

from . import policy


class ClinicTimezoneMiddleware:
    """Activates the zone of the clinic the request belongs to (policy.request_clinic_id)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tz_name = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            tz_name = policy.request_clinic_zone(user)
        if tz_name:
            timezone.activate(zoneinfo.ZoneInfo(tz_name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            # The zone belongs to this request: the thread's next job must not inherit it.
            timezone.deactivate()


TOUCH_EVERY_SECONDS = 60


def refresh_idle_expiry(request, user) -> None:
    """Push the session's expiry forward by the idle timeout for this kind of user.

    Saving the session costs a write, so it is done at most once a minute (the timeout is
    exact to within that minute), and at log-in.
    """
    from django.conf import settings

    from . import policy

    patient_only = not (user.is_superuser or policy.is_staff_member(user))
    minutes = (settings.ACUBACK_PATIENT_IDLE_MINUTES if patient_only
               else settings.ACUBACK_STAFF_IDLE_MINUTES)
    now = int(time.time())
    session = request.session
    if (session.get("_expiry_set_for") != minutes
            or now - session.get("_expiry_touched", 0) >= TOUCH_EVERY_SECONDS):
        session.set_expiry(minutes * 60)
        session["_expiry_set_for"] = minutes
        session["_expiry_touched"] = now


class IdleTimeoutMiddleware:
    """A session ends after a period without requests: 15 minutes for staff, 30 for
    patients by default (ACUBACK_STAFF_IDLE_MINUTES / ACUBACK_PATIENT_IDLE_MINUTES).
    An expired session is not loaded at all: the next request is sent to log in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            refresh_idle_expiry(request, user)
        return self.get_response(request)


class TwoFactorMiddleware:
    """Staff (and superusers) who logged in with a password but have not yet given a
    one-time code reach only the two-factor pages and log-out, when it is required."""

    ALLOWED_PREFIXES = ("/account/2fa/", "/logout/", "/static/", "/login/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.shortcuts import redirect

        from . import policy

        user = getattr(request, "user", None)
        if (settings.ACUBACK_REQUIRE_2FA and user is not None and user.is_authenticated
                and not user.is_verified()
                and (user.is_superuser or policy.is_staff_member(user))
                and not request.path.startswith(self.ALLOWED_PREFIXES)):
            from django.urls import reverse
            from django.utils.http import urlencode
            from django_otp import user_has_device

            target = "two_factor_verify" if user_has_device(user) else "two_factor_setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """An account whose password someone else chose (`acuback setup`, a clinic admin's
    temporary password) reaches only the password change page, two-factor and log-out
    until its owner chooses their own."""

    ALLOWED_PREFIXES = ("/account/password/", "/account/2fa/", "/logout/", "/static/",
                        "/login/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated
                and getattr(user, "must_change_password", False)
                and not request.path.startswith(self.ALLOWED_PREFIXES)):
            from django.shortcuts import redirect

            return redirect("password_change")
        return self.get_response(request)


class BreakGlassMiddleware:
    """Turns a clinical page refused for lack of a care relationship into the
    break-the-glass page (patients/views.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.http import urlencode

        from acuback.patients.views import BreakGlassRequired

        if isinstance(exception, BreakGlassRequired):
            url = reverse("break_glass", args=[exception.patient.pk])
            return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
        return None
