"""The clinic a request belongs to is one rule (``policy.request_clinic_id``): the first
clinic on whose staff the user is (``policy.home_clinic``), else the first they are a
patient of. The time-zone middleware and the staff pages use the same one."""

from __future__ import annotations

from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone

from acuback.accounts import policy
from acuback.accounts.models import Membership, Role
from tests.factories import make_clinic, make_user


def _zone_while_rendering(client, url) -> str:
    seen = {}
    template_rendered.connect(
        lambda **kw: seen.setdefault("zone", timezone.get_current_timezone_name()),
        weak=False, dispatch_uid="request-clinic-spy")
    try:
        client.get(url)
    finally:
        template_rendered.disconnect(dispatch_uid="request-clinic-spy")
    return seen["zone"]


def test_a_patient_who_joins_a_clinics_staff_sees_the_staff_clinics_zone(world, login):
    where_treated = make_clinic("Treated")
    where_treated.time_zone = "Pacific/Honolulu"
    where_treated.save()
    user = make_user(where_treated, Role.PATIENT)  # a patient there first
    world.clinic.time_zone = "Pacific/Kiritimati"
    world.clinic.save()
    Membership.objects.create(user=user, clinic=world.clinic, role=Role.CLINIC_ADMIN)
    assert policy.home_clinic(user) == world.clinic
    assert policy.request_clinic_id(user) == world.clinic.pk
    assert _zone_while_rendering(login(user), reverse("home")) == "Pacific/Kiritimati"


def test_a_patient_only_account_belongs_to_its_clinic(world):
    assert policy.home_clinic(world.patient_user) is None
    assert policy.request_clinic_id(world.patient_user) == world.clinic.pk
