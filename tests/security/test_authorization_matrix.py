"""Every URL pattern of the project, for every role, with real object ids.

The web pages and the portal are in tests/web/test_access_matrix.py (MATRIX), the FHIR
API in the same MATRIX (session) and in tests/interop (tokens). This file adds the JSON
API and the Django admin, and fails when any URL pattern of the project has no entry.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import URLResolver, get_resolver, reverse

from acuback import signing
from tests.factories import ROLES, make_record
from tests.web.test_access_matrix import MATRIX

STAFF = {"front_desk": 200, "practitioner": 200, "clinic_admin": 200}
PATIENTS_403 = {"patient": 403, "other_patient": 403}


def _slots_url(w) -> str:
    from datetime import timedelta

    from django.utils import timezone

    from acuback.scheduling.models import AppointmentType

    type_id = AppointmentType.objects.filter(clinic=w.clinic).first().pk
    day = timezone.localdate() + timedelta(days=1)
    return (f"/api/slots?practitioner_id={w.practitioner_record.pk}&location_id="
            f"{w.location.pk}&type_id={type_id}&day={day}")


API_MATRIX = {
    "api:openapi-json": (lambda w: "/api/openapi.json", dict.fromkeys(ROLES, 200)),
    "api:openapi-view": (lambda w: "/api/docs", dict.fromkeys(ROLES, 200)),
    "api:api-root": (lambda w: "/api/", dict.fromkeys(ROLES, 404)),
    "api:acupoint_search": (lambda w: "/api/acupoints?q=BL23",
                            {"anonymous": 401, **PATIENTS_403, **STAFF, "other_clinic": 200}),
    "api:acupoint_detail": (lambda w: "/api/acupoints/BL23",
                            {"anonymous": 401, **PATIENTS_403, **STAFF, "other_clinic": 200}),
    "api:instrument_list": (lambda w: "/api/instruments",
                            {"anonymous": 401, **PATIENTS_403, **STAFF, "other_clinic": 200}),
    "api:patient_scores": (lambda w: f"/api/patients/{w.patient.pk}/scores",
                           {"anonymous": 401, **PATIENTS_403, "front_desk": 403,
                            "practitioner": 200, "clinic_admin": 200, "other_clinic": 404}),
    "api:free_slot_list": (_slots_url, {"anonymous": 401, **PATIENTS_403, **STAFF,
                                        "other_clinic": 404}),
}

# Admin pages that belong to the site rather than to one model.
ADMIN_SITE_PAGES = {"admin:index", "admin:login", "admin:logout", "admin:password_change",
                    "admin:password_change_done", "admin:autocomplete", "admin:jsi18n",
                    "admin:view_on_site", "admin:app_list", "admin:audit_auditevent_export",
                    # per-object extras, tested below with real ids
                    "admin:auth_user_password_change", "admin:otp_totp_totpdevice_config",
                    "admin:otp_totp_totpdevice_qrcode"}
# Unnamed patterns: Django admin's own redirects and catch-all.
UNNAMED_ADMIN = ("admin/(?P<url>.*)$", "/<path:object_id>/")


def _patterns(resolver=None, prefix="", namespace=""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            ns = namespace + (f"{p.namespace}:" if p.namespace else "")
            yield from _patterns(p, prefix + str(p.pattern), ns)
        else:
            yield prefix + str(p.pattern), (namespace + p.name) if p.name else None


MODEL_VIEWS = {"changelist", "add", "change", "delete", "history"}


def _admin_model_names() -> set[str]:
    names = set()
    for model in admin.site._registry:
        for view in MODEL_VIEWS:
            names.add(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")
    return names


def test_every_url_pattern_of_the_project_has_an_entry():
    missing = []
    model_names = _admin_model_names()
    for pattern, name in _patterns():
        if name is None:
            if not any(marker in pattern for marker in UNNAMED_ADMIN):
                missing.append(pattern)
        elif name.startswith("api:"):
            if name not in API_MATRIX:
                missing.append(name)
        elif name.startswith("admin:"):
            if name not in model_names and name not in ADMIN_SITE_PAGES:
                missing.append(name)
        elif name not in MATRIX:
            missing.append(name)
    assert not missing, f"URL patterns without an access entry: {missing}"


@pytest.fixture
def rich_world(world_with_consent):
    """One row of every admin model, in clinic A (the admin check fails on a model
    without one)."""
    from datetime import time, timedelta

    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from django.utils import timezone
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from acuback.billing.models import Abn, Authorisation, FeeSchedule
    from acuback.interop.models import BulkExport, UnexpressibleRecord
    from acuback.outcomes.models import InstrumentText, OutcomeSchedule
    from acuback.scheduling.models import AvailabilityException, Notification, WeeklyAvailability
    from acuback.screening.models import Acknowledgement, ReferralClearance
    from acuback.treatment.models import Addendum, NeedleSet, TreatmentPlan
    from tests.factories import make_session

    w = make_record(world_with_consent)
    today = timezone.localdate()
    from acuback.accounts.models import StaffInvitation
    StaffInvitation.objects.create(clinic=w.clinic, email="x@example.org",
                                   roles=["front_desk"], invited_by=w.admin)
    FeeSchedule.objects.create(clinic=w.clinic, code="97810", amount="80.00")
    Authorisation.objects.create(plan=w.plan, visits=12, valid_from=today,
                                 expires_on=today + timedelta(days=90))
    abn = Abn.objects.create(patient=w.patient, visit_date=today, reason="Over the visit limit",
                             signature_name="Alice Archer", how="scanned")
    from acuback.billing.models import AbnScan

    AbnScan.objects.create(abn=abn, content=b"%PDF-1.4", size=8, sha256="0" * 64,
                           media_type="application/pdf")
    WeeklyAvailability.objects.create(practitioner=w.practitioner_record, location=w.location,
                                      weekday=0, start_time=time(9), end_time=time(17))
    from acuback.screening.models import Allergy, LabResult, ListReview, Medication, Problem

    Medication.objects.create(patient=w.patient, name="warfarin", recorded_by=w.practitioner)
    Allergy.objects.create(patient=w.patient, category="latex", recorded_by=w.practitioner)
    Problem.objects.create(patient=w.patient, description="AF", recorded_by=w.practitioner)
    LabResult.objects.create(patient=w.patient, kind="inr", value=2, taken_on=today,
                             recorded_by=w.practitioner)
    ListReview.objects.create(patient=w.patient, reviewed_by=w.practitioner)
    AvailabilityException.objects.create(location=w.location, date=today, reason="Holiday")
    Notification.objects.create(clinic=w.clinic, patient=w.patient, kind="appointment_reminder",
                                channel="email", to="alice@example.com", body="Reminder",
                                due_at=timezone.now())
    BulkExport.objects.create(clinic=w.clinic, requested_by=w.admin, request_url="x")
    UnexpressibleRecord.objects.create(clinic=w.clinic, resource_type="Coverage", record_id=1,
                                       problem="Coverage.order: must be at least 1")
    from acuback.accounts.models import Supervision
    from acuback.web.models import WorkerHeartbeat
    from tests.factories import make_practitioner

    physician = make_practitioner(w.clinic, licence_in=None)
    physician.profession = "physician"
    physician.save()
    Supervision.objects.create(supervisee=w.practitioner_record, supervisor=physician)
    WorkerHeartbeat.objects.create(worker_id="matrix", host="node-1", pid=1,
                                   started_at=timezone.now(), beat_at=timezone.now())
    # Money, booking holds and export parts (written once; inserted here as the services do).
    from acuback.billing.models import Invoice, InvoiceLine, InvoiceVoid, Payment, PrepaidPackage
    from acuback.interop.models import BulkExportPart
    from acuback.scheduling.models import AppointmentType, SlotHold

    now = timezone.now()
    package = PrepaidPackage.objects.create(clinic=w.clinic, patient=w.patient, visits=6,
                                            price="450.00", sold_at=now)
    invoice = Invoice.objects.create(clinic=w.clinic, patient=w.patient, total="85.00",
                                     issued_at=now, date_of_service=today)
    InvoiceLine.objects.create(invoice=invoice, description="97810 Acupuncture", amount="85.00")
    InvoiceVoid.objects.create(invoice=Invoice.objects.create(
        clinic=w.clinic, patient=w.patient, total="450.00", issued_at=now, sells=package),
        reason="Sold in error", voided_at=now)
    Payment.objects.create(clinic=w.clinic, patient=w.patient, amount="85.00", method="cash",
                           received_at=now)
    from acuback.billing.models import (
        Claim,
        ClaimAdjustment,
        ClaimBatch,
        ClaimEvent,
        ClaimLine,
        ClaimPayment,
        ClaimSetup,
        Remittance,
    )

    ClaimSetup.objects.create(clinic=w.clinic, tax_id="123456789")
    batch = ClaimBatch.objects.create(clinic=w.clinic, created_at=now, control_number=1,
                                      x12="ISA~")
    claim = Claim.objects.create(clinic=w.clinic, patient=w.patient, plan=w.plan,
                                 date_of_service=today, created_at=now, batch=batch)
    ClaimLine.objects.create(claim=claim, code="97810", units=1, charge="80.00")
    ClaimEvent.objects.create(claim=claim, status="draft", at=now)
    remittance = Remittance.objects.create(clinic=w.clinic, trace_number="T1", total_paid=0,
                                           sha256="0" * 64, x12="ISA~", imported_at=now)
    ClaimAdjustment.objects.create(payment=ClaimPayment.objects.create(
        remittance=remittance, claim=claim, claim_number=claim.number, status_code="1",
        charge="80.00", paid="60.00"), group="CO", reason="45", amount="20.00")
    kind = AppointmentType.objects.create(clinic=w.clinic, name="Initial", kind="initial",
                                          duration_minutes=60)
    SlotHold.objects.create(clinic=w.clinic, location=w.location,
                            practitioner=w.practitioner_record, type=kind,
                            start=now + timedelta(days=2), busy_until=now + timedelta(days=2,
                                                                                      hours=1),
                            email="held@example.com", expires_at=now + timedelta(minutes=30))
    from acuback.web.installation_key import agree_on_secret_key

    agree_on_secret_key()
    BulkExportPart.objects.create(export=BulkExport.objects.get(clinic=w.clinic), file="Patient.ndjson",
                                  part=0, lines="{}\n")
    draft = make_session(w.patient, w.practitioner_record, w.location, episode=w.episode)
    NeedleSet.objects.create(session=draft, order=1, face_to_face_minutes=15)
    with signing.signing():  # arranging data signed earlier
        Addendum.objects.create(session=w.session, text="Late entry", author=w.practitioner)
        ReferralClearance.objects.create(screening=w.screening, kind="medical_clearance",
                                         note="Seen in the ED: no cauda equina.",
                                         recorded_by=w.practitioner)
        Acknowledgement.objects.create(screening=w.screening, text="Anticoagulant: pressure "
                                       "after removal", acknowledged_by=w.practitioner)
    TreatmentPlan.objects.create(patient=w.patient, episode=w.episode, style="tcm",
                                 rationale="Local points.", individualisation="individualised",
                                 planned_sessions=6, sessions_per_week=1,
                                 review_date=today + timedelta(weeks=4), created_by=w.practitioner)
    InstrumentText.objects.create(clinic=w.clinic, instrument="peg", version="licensed",
                                  items={"1": {"text": "Licensed item 1"}})
    OutcomeSchedule.objects.get_or_create(clinic=w.clinic, defaults={
        "baseline": ["nrs"], "review": ["nrs"], "discharge": ["nrs"], "follow_up": ["nrs"]})
    # The third-party models the admin shows (groups, log-in records, second factors).
    Group.objects.create(name="Operators")
    seen = {"username": "alpha_admin", "ip_address": "127.0.0.1", "user_agent": "test",
            "http_accept": "text/html", "path_info": "/login/"}
    AccessAttempt.objects.create(**seen, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**seen)
    AccessFailureLog.objects.create(**seen)
    TOTPDevice.objects.create(user=w.practitioner, name="phone")
    StaticDevice.objects.create(user=w.practitioner, name="backup codes")
    return w


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(API_MATRIX))
def test_the_json_api_obeys_the_policy(name, role, rich_world, login):
    build, expected = API_MATRIX[name]
    response = login(rich_world.user_for(role)).get(build(rich_world))
    assert response.status_code == expected[role], (name, role)


# acuback's models that belong to the installation, not to a clinic: superusers only.
SITE_WIDE = {"web.WorkerHeartbeat"}


def _ours(model) -> bool:
    return model.__module__.startswith("acuback.") and model._meta.label not in SITE_WIDE


ADMIN_MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_every_admin_list_and_record_is_for_platform_operators_only(model, rich_world, login,
                                                                    operator):
    """The Django admin is a platform operator's tool: every clinic role, the clinic
    admin included, is sent to the admin's log-in; the operator gets in (issue #25 §1)."""
    names = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    obj = model._default_manager.first()
    # A model without a row would have its record page left out of the check unseen.
    assert obj is not None, f"rich_world has no {model._meta.label}: add one"
    urls = [reverse(f"{names}_changelist"), reverse(f"{names}_change", args=[obj.pk])]
    for url in urls:
        for role in ROLES:
            response = login(rich_world.user_for(role)).get(url)
            assert response.status_code == 302, (url, role)
            assert "/admin/login/" in response["Location"]
        assert login(operator).get(url).status_code in (200, 403), url  # 403: no list view


def test_a_clinic_admin_sets_no_passwords_in_the_django_admin(rich_world, login):
    for user in (rich_world.front_desk, rich_world.outsider):
        url = reverse("admin:auth_user_password_change", args=[user.pk])
        response = login(rich_world.admin).get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_nobody_but_a_superuser_reads_anothers_authenticator_secret(rich_world, login):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=rich_world.practitioner, name="phone")
    for view in ("config", "qrcode"):
        url = reverse(f"admin:otp_totp_totpdevice_{view}", args=[device.pk])
        assert login(rich_world.admin).get(url).status_code == 302  # to the admin's log-in
        assert login(rich_world.practitioner).get(url).status_code == 302
