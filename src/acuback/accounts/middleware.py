"""Show times in the clinic's own time zone."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone

from .models import Membership


class ClinicTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tz_name = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            tz_name = (
                Membership.objects.filter(user=user)
                .order_by("pk")
                .values_list("clinic__time_zone", flat=True)
                .first()
            )
        if tz_name:
            timezone.activate(zoneinfo.ZoneInfo(tz_name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            # The zone belongs to this request: the thread's next job must not inherit it.
            timezone.deactivate()
