"""Pages show the clinic's time zone, and the zone does not outlive the request."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone


def test_the_clinic_zone_is_active_during_the_request_only(world, login):
    world.clinic.time_zone = "Pacific/Kiritimati"  # UTC+14: far from the default
    world.clinic.save()
    from django.test.signals import template_rendered

    seen = {}  # the zone while the page renders
    template_rendered.connect(
        lambda **kw: seen.setdefault("zone", timezone.get_current_timezone_name()),
        weak=False, dispatch_uid="tz-spy")
    try:
        login(world.admin).get(reverse("home"))
    finally:
        template_rendered.disconnect(dispatch_uid="tz-spy")
    assert seen["zone"] == "Pacific/Kiritimati"
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE
