"""Every page, every role: who gets in, who is refused, and how.

200 = allowed; 302 = sent to log in; 403 = known but not allowed;
404 = another clinic's or another patient's object, whose existence is not revealed.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import get_resolver, reverse

from tests.factories import (
    ROLES,
)


def _medication(w):
    from acuback.screening.models import Medication

    return Medication.objects.create(patient=w.patient, name="warfarin",
                                     recorded_by=w.practitioner)


STAFF_A = {"front_desk": 200, "practitioner": 200, "clinic_admin": 200}
PATIENTS_FORBIDDEN = {"patient": 403, "other_patient": 403}

CLINICAL_MANAGE = {"anonymous": 302, "patient": 403, "other_patient": 404, "front_desk": 403,
                   "practitioner": 200, "clinic_admin": 200, "other_clinic": 404}
# A patient's own portal pages: staff have no patient record of their own.
PORTAL_OWN = {"anonymous": 302, "patient": 200, "other_patient": 200, "front_desk": 403,
              "practitioner": 403, "clinic_admin": 403, "other_clinic": 403}
STAFF_PAGE = {"anonymous": 302, **PATIENTS_FORBIDDEN, **STAFF_A, "other_clinic": 200}
# Signing, clearing referrals and the needling gate are the practitioner's alone.
PRACTITIONER_ONLY = {**CLINICAL_MANAGE, "practitioner": 302, "clinic_admin": 403}

# A patient's account (billing.view) and its writes (billing.charge: front desk, admin).
ACCOUNT_VIEW = {"anonymous": 302, "patient": 403, "other_patient": 404, **STAFF_A,
                "other_clinic": 404}
# An empty POST: the roles that take payments get the form back with errors (400).
ACCOUNT_WRITE = {**ACCOUNT_VIEW, "front_desk": 400, "practitioner": 403, "clinic_admin": 400}


def _invoice(w):
    from decimal import Decimal

    from django.utils import timezone

    from acuback.billing.models import Invoice

    return Invoice.objects.create(clinic=w.clinic, patient=w.patient, total=Decimal("80"),
                                  issued_at=timezone.now())


def _payment(w):
    from decimal import Decimal

    from django.utils import timezone

    from acuback.billing.models import Payment

    return Payment.objects.create(clinic=w.clinic, patient=w.patient, amount=Decimal("80"),
                                  method="cash", received_at=timezone.now())


def _abn_scan(w):
    from acuback.billing.models import Abn, AbnScan

    abn = Abn.objects.create(patient=w.patient, visit_date=date(2026, 1, 5), reason="Over the limit",
                             signature_name="Alice Archer", how="scanned")
    AbnScan.objects.create(abn=abn, content=b"%PDF-1.4", size=8, sha256="0" * 64,
                           media_type="application/pdf")
    return abn


def _medicare(w):
    from acuback.billing.models import Payer

    return Payer.objects.create(clinic=w.clinic, name="Medicare", kind="medicare")


def _claim(w):
    from datetime import date

    from django.utils import timezone

    from acuback.billing.models import Claim, CoveragePlan, Payer

    payer = Payer.objects.create(clinic=w.clinic, name="Cascade", kind="commercial")
    plan = CoveragePlan.objects.create(patient=w.patient, payer=payer, member_id="C-1",
                                       effective_from=date(2024, 1, 1))
    return Claim.objects.create(clinic=w.clinic, patient=w.patient, plan=plan,
                                date_of_service=date(2026, 1, 5), created_at=timezone.now())


def _batch(w):
    from django.utils import timezone

    from acuback.billing.models import ClaimBatch

    return ClaimBatch.objects.create(clinic=w.clinic, created_at=timezone.now(),
                                     control_number=1, x12="ISA~")


def _remittance(w):
    from django.utils import timezone

    from acuback.billing.models import Remittance

    return Remittance.objects.create(clinic=w.clinic, trace_number="T1", total_paid=0,
                                     sha256="0" * 64, x12="ISA~", imported_at=timezone.now())
def _invitation(w):
    """A waiting invitation of the clinic (to cancel or send again)."""
    from acuback.accounts.models import StaffInvitation

    return StaffInvitation.objects.create(clinic=w.clinic, email="new@example.org",
                                          roles=["front_desk"], invited_by=w.admin)


CLINIC_ADMIN_ONLY = {"anonymous": 302, **dict.fromkeys(
    ("patient", "other_patient", "front_desk", "practitioner", "other_clinic"), 403),
    "clinic_admin": 200}

# url name -> (how to build the URL from the world, method, expected status per role)
MATRIX = {
    "home": (lambda w: reverse("home"), "get",
             {"anonymous": 302, "patient": 200, "other_patient": 200, **STAFF_A,
              "other_clinic": 200}),
    "patient_search_json": (lambda w: reverse("patient_search_json") + "?q=al", "get",
                            {"anonymous": 302, **PATIENTS_FORBIDDEN, **STAFF_A,
                             "other_clinic": 200}),
    "patient_list": (lambda w: reverse("patient_list"), "get",
                     {"anonymous": 302, **PATIENTS_FORBIDDEN, **STAFF_A, "other_clinic": 200}),
    "patient_create": (lambda w: reverse("patient_create"), "get",
                       {"anonymous": 302, **PATIENTS_FORBIDDEN, **STAFF_A, "other_clinic": 200}),
    "patient_chart": (lambda w: reverse("patient_chart", args=[w.patient.pk]), "get",
                      {"anonymous": 302, "patient": 403, "other_patient": 404, **STAFF_A,
                       "other_clinic": 404}),
    "patient_edit": (lambda w: reverse("patient_edit", args=[w.patient.pk]), "get",
                     {"anonymous": 302, "patient": 403, "other_patient": 404, **STAFF_A,
                      "other_clinic": 404}),
    "patient_clinical": (lambda w: reverse("patient_clinical", args=[w.patient.pk]), "get",
                         {"anonymous": 302, "patient": 403, "other_patient": 404,
                          "front_desk": 403, "practitioner": 200, "clinic_admin": 200,
                          "other_clinic": 404}),
    # An empty POST: allowed roles get the form back with errors (400).
    "consent_create": (lambda w: reverse("consent_create", args=[w.patient.pk]), "post",
                       {"anonymous": 302, "patient": 403, "other_patient": 404,
                        "front_desk": 403, "practitioner": 400, "clinic_admin": 400,
                        "other_clinic": 404}),
    "consent_withdraw": (lambda w: reverse("consent_withdraw", args=[w.patient.pk, w.consent.pk]),
                         "post",
                         {"anonymous": 302, "patient": 403, "other_patient": 404,
                          "front_desk": 403, "practitioner": 400, "clinic_admin": 400,
                          "other_clinic": 404}),
    "registry": (lambda w: reverse("registry"), "get",
                 {"anonymous": 302, **PATIENTS_FORBIDDEN, **STAFF_A, "other_clinic": 200}),
    "practitioner_detail": (
        lambda w: reverse("practitioner_detail", args=[w.practitioner_record.pk]), "get",
        {"anonymous": 302, "patient": 404, "other_patient": 404, **STAFF_A,
         "other_clinic": 404}),
    "episode_create": (lambda w: reverse("episode_create", args=[w.patient.pk]), "get",
                       CLINICAL_MANAGE),
    "episode_edit": (lambda w: reverse("episode_edit", args=[w.patient.pk, w.episode.pk]), "get",
                     CLINICAL_MANAGE),
    "screening_new": (lambda w: reverse("screening_new", args=[w.patient.pk, w.episode.pk]),
                      "post", {**CLINICAL_MANAGE, "practitioner": 302, "clinic_admin": 302}),
    "screening_detail": (lambda w: reverse("screening_detail",
                                           args=[w.patient.pk, w.screening.pk]), "get",
                         CLINICAL_MANAGE),
    "referral_letter": (lambda w: reverse("referral_letter", args=[w.patient.pk, w.screening.pk]),
                        "get", CLINICAL_MANAGE),
    # An empty clearance is refused with 400 and its errors, as every refused form.
    "referral_clear": (lambda w: reverse("referral_clear", args=[w.patient.pk, w.screening.pk]),
                       "post", {**PRACTITIONER_ONLY, "practitioner": 400}),
    "precautions_acknowledge": (
        lambda w: reverse("precautions_acknowledge", args=[w.patient.pk, w.screening.pk]), "post",
        PRACTITIONER_ONLY),
    "needling_check": (lambda w: reverse("needling_check", args=[w.patient.pk]), "get",
                       {**PRACTITIONER_ONLY, "practitioner": 200}),
    "patient_lists": (lambda w: reverse("patient_lists", args=[w.patient.pk]), "get",
                      CLINICAL_MANAGE),
    "lists_review": (lambda w: reverse("lists_review", args=[w.patient.pk]), "post",
                     {**CLINICAL_MANAGE, "practitioner": 302, "clinic_admin": 302}),
    # An empty form: refused on its fields (400) once the user may write.
    "list_entry_add": (lambda w: reverse("list_entry_add", args=[w.patient.pk, "medication"]),
                       "post", {**CLINICAL_MANAGE, "practitioner": 400, "clinic_admin": 400}),
    "list_entry_change": (lambda w: reverse("list_entry_change", args=[
        w.patient.pk, "medication", _medication(w).pk, "stop"]), "post",
        {**CLINICAL_MANAGE, "practitioner": 400, "clinic_admin": 400}),
    "plan_edit": (lambda w: reverse("plan_edit", args=[w.patient.pk, w.episode.pk]), "get",
                  {**PRACTITIONER_ONLY, "practitioner": 200}),
    "session_new": (lambda w: reverse("session_new", args=[w.patient.pk, w.episode.pk]), "post",
                    PRACTITIONER_ONLY),
    "session_detail": (lambda w: reverse("session_detail", args=[w.patient.pk, w.session.pk]),
                       "get", CLINICAL_MANAGE),
    "addendum_create": (lambda w: reverse("addendum_create", args=[w.patient.pk, w.session.pk]),
                        "post", PRACTITIONER_ONLY),
    "needle_incident": (lambda w: reverse("needle_incident", args=[w.patient.pk, w.session.pk]),
                        "post", PRACTITIONER_ONLY),
    "adverse_event_new": (lambda w: reverse("adverse_event_new", args=[w.patient.pk]), "get",
                          CLINICAL_MANAGE),
    "adverse_event_acknowledge": (
        lambda w: reverse("adverse_event_acknowledge", args=[w.patient.pk, w.event.pk]), "post",
        {**CLINICAL_MANAGE, "practitioner": 403, "clinic_admin": 302}),
    "patient_outcomes": (lambda w: reverse("patient_outcomes", args=[w.patient.pk]), "get",
                         CLINICAL_MANAGE),
    "response_enter": (lambda w: reverse("response_enter", args=[w.patient.pk, w.episode.pk,
                                                                 "odi"]), "get", CLINICAL_MANAGE),
    "response_correct": (lambda w: reverse("response_correct", args=[w.patient.pk,
                                                                     w.response.pk]), "get",
                         CLINICAL_MANAGE),
    "link_send": (lambda w: reverse("link_send", args=[w.patient.pk, w.episode.pk]), "post",
                  {**CLINICAL_MANAGE, "front_desk": 302, "practitioner": 302,
                   "clinic_admin": 302}),
    "outcome_alert_acknowledge": (
        lambda w: reverse("outcome_alert_acknowledge", args=[w.patient.pk, w.alert.pk]), "post",
        {**CLINICAL_MANAGE, "practitioner": 302, "clinic_admin": 302}),
    # The patient's link works for whoever holds it: no account is needed.
    "questionnaire_link": (lambda w: reverse("questionnaire_link", args=[w.token]), "get",
                           dict.fromkeys(ROLES, 200)),
    "questionnaire_link_item": (lambda w: reverse("questionnaire_link_item",
                                                  args=[w.token, "nrs"]), "get",
                                dict.fromkeys(ROLES, 200)),
    "questionnaire_thanks": (lambda w: reverse("questionnaire_thanks"), "get",
                             dict.fromkeys(ROLES, 200)),
    "portal_questionnaires": (
        lambda w: reverse("portal_questionnaires", args=[w.episode.pk, "baseline"]), "post",
        {"anonymous": 302, "patient": 302, "other_patient": 404, "front_desk": 404,
         "practitioner": 404, "clinic_admin": 404, "other_clinic": 404}),
    "calendar_day": (lambda w: reverse("calendar_day"), "get", STAFF_PAGE),
    "calendar_week": (lambda w: reverse("calendar_week"), "get", STAFF_PAGE),
    "appointment_book": (lambda w: reverse("appointment_book"), "get", STAFF_PAGE),
    "appointment_action": (lambda w: reverse("appointment_action",
                                             args=[w.appointment.pk, "check_in"]), "post",
                           {"anonymous": 302, "patient": 404, "other_patient": 404,
                            "front_desk": 302, "practitioner": 302, "clinic_admin": 302,
                            "other_clinic": 404}),
    "appointment_move": (lambda w: reverse("appointment_move", args=[w.appointment.pk]), "get",
                         {"anonymous": 302, "patient": 404, "other_patient": 404, **STAFF_A,
                          "other_clinic": 404}),
    "visit_send_link": (lambda w: reverse("visit_send_link",
                                          args=[w.appointment.pk, "questionnaires"]), "post",
                        {"anonymous": 302, "patient": 404, "other_patient": 404,
                         "front_desk": 302, "practitioner": 302, "clinic_admin": 302,
                         "other_clinic": 404}),
    "portal_login": (lambda w: reverse("portal_login"), "get", dict.fromkeys(ROLES, 200)),
    "portal_magic": (lambda w: reverse("portal_magic", args=["forged"]), "get",
                     dict.fromkeys(ROLES, 400)),
    "portal_book": (lambda w: reverse("portal_book"), "get", PORTAL_OWN),
    "public_book": (lambda w: reverse("public_book", args=[w.clinic.slug]), "get",
                    dict.fromkeys(ROLES, 200)),
    # A forged or used link books nothing, for anyone (the real link: test_booking_hold).
    "public_book_confirm": (lambda w: reverse("public_book_confirm", args=["forged"]),
                            "post", dict.fromkeys(ROLES, 400)),
    "portal_progress": (lambda w: reverse("portal_progress"), "get", PORTAL_OWN),
    "portal_consents": (lambda w: reverse("portal_consents"), "get", PORTAL_OWN),
    "portal_record": (lambda w: reverse("portal_record"), "get", PORTAL_OWN),
    # The world's patient has a signed intake: nothing waits, so the page redirects home.
    "portal_intake": (lambda w: reverse("portal_intake"), "get",
                      {**PORTAL_OWN, "patient": 302, "other_patient": 302}),
    "portal_reschedule": (lambda w: reverse("portal_reschedule", args=[w.appointment.pk]), "get",
                          {**PORTAL_OWN, "other_patient": 404}),
    # Without the confirming button's answer, a POST shows the question again.
    "portal_cancel": (lambda w: reverse("portal_cancel", args=[w.appointment.pk]), "post",
                      {**PORTAL_OWN, "other_patient": 404}),
    "portal_appointment": (lambda w: reverse("portal_appointment", args=[w.appointment.pk]),
                           "get", {**PORTAL_OWN, "other_patient": 404}),
    "portal_appointment_ics": (lambda w: reverse("portal_appointment_ics",
                                                 args=[w.appointment.pk]),
                               "get", {**PORTAL_OWN, "other_patient": 404}),
    "public_calendar_ics": (lambda w: reverse("public_calendar_ics", args=["forged"]), "get",
                            dict.fromkeys(ROLES, 400)),
    "patient_superbill": (lambda w: reverse("patient_superbill", args=[w.patient.pk]), "get",
                          {"anonymous": 302, "patient": 403, "other_patient": 404, **STAFF_A,
                           "other_clinic": 404}),
    "patient_account": (lambda w: reverse("patient_account", args=[w.patient.pk]), "get",
                        ACCOUNT_VIEW),
    "patient_statement": (lambda w: reverse("patient_statement", args=[w.patient.pk]), "get",
                          ACCOUNT_VIEW),
    "invoice_document": (lambda w: reverse("invoice_document",
                                           args=[w.patient.pk, _invoice(w).pk]), "get",
                         ACCOUNT_VIEW),
    "payment_receipt": (lambda w: reverse("payment_receipt",
                                          args=[w.patient.pk, _payment(w).pk]), "get",
                        ACCOUNT_VIEW),
    "invoice_issue": (lambda w: reverse("invoice_issue", args=[w.patient.pk]), "post",
                      ACCOUNT_WRITE),
    "invoice_void": (lambda w: reverse("invoice_void", args=[w.patient.pk, _invoice(w).pk]),
                     "post", ACCOUNT_WRITE),
    "payment_record": (lambda w: reverse("payment_record", args=[w.patient.pk]), "post",
                       ACCOUNT_WRITE),
    "package_sell": (lambda w: reverse("package_sell", args=[w.patient.pk]), "post",
                     ACCOUNT_WRITE),
    "abn_prepare": (lambda w: reverse("abn_prepare", args=[w.patient.pk]), "get", ACCOUNT_VIEW),
    "abn_scan": (lambda w: reverse("abn_scan", args=[w.patient.pk, _abn_scan(w).pk]), "get",
                 ACCOUNT_VIEW),
    # Every role that serves the patient records a signed ABN (an empty POST: 400).
    "abn_record": (lambda w: reverse("abn_record", args=[w.patient.pk]), "post",
                   {**ACCOUNT_VIEW, "front_desk": 400, "practitioner": 400,
                    "clinic_admin": 400}),
    "takings_report": (lambda w: reverse("takings_report"), "get",
                       {"anonymous": 302, "patient": 403, "other_patient": 403,
                        "front_desk": 200, "practitioner": 403, "clinic_admin": 200,
                        "other_clinic": 403}),
    "episode_report": (lambda w: reverse("episode_report", args=[w.patient.pk, w.episode.pk,
                                                                 "progress"]), "get",
                       CLINICAL_MANAGE),
    "insights_dashboard": (lambda w: reverse("insights_dashboard"), "get",
                           {"anonymous": 302, **PATIENTS_FORBIDDEN, "front_desk": 403,
                            "practitioner": 200, "clinic_admin": 200, "other_clinic": 200}),
    "research_export": (lambda w: reverse("research_export"), "get",
                        {"anonymous": 302, "patient": 403, "other_patient": 403,
                         "front_desk": 403, "practitioner": 403, "clinic_admin": 200,
                         "other_clinic": 403}),
    "claim_export": (lambda w: reverse("claim_export"), "get",
                     {"anonymous": 302, "patient": 403, "other_patient": 403, "front_desk": 403,
                      "practitioner": 403, "clinic_admin": 200, "other_clinic": 403}),
    # The front desk's Billing page holds the day's takings (not the claims export).
    "billing_home": (lambda w: reverse("billing_home"), "get",
                     {"anonymous": 302, "patient": 403, "other_patient": 403, "front_desk": 200,
                      "practitioner": 403, "clinic_admin": 200, "other_clinic": 403}),
    # Electronic claims and remittances: the roles that bill (billing.export).
    "claims_page": (lambda w: reverse("claims_page"), "get", CLINIC_ADMIN_ONLY),
    "claim_detail": (lambda w: reverse("claim_detail", args=[_claim(w).pk]), "get",
                     CLINIC_ADMIN_ONLY),
    "batch_download": (lambda w: reverse("batch_download", args=[_batch(w).pk]), "get",
                       CLINIC_ADMIN_ONLY),
    "claim_setup": (lambda w: reverse("claim_setup"), "get", CLINIC_ADMIN_ONLY),
    "remittances_page": (lambda w: reverse("remittances_page"), "get", CLINIC_ADMIN_ONLY),
    "remittance_detail": (lambda w: reverse("remittance_detail", args=[_remittance(w).pk]),
                          "get", CLINIC_ADMIN_ONLY),
    # A patient's insurance: whoever sees the patient reads it; the roles that edit
    # patients write it (an empty POST: the form back, naming the fields).
    "patient_coverage": (lambda w: reverse("patient_coverage", args=[w.patient.pk]), "get",
                         ACCOUNT_VIEW),
    "coverage_edit": (lambda w: reverse("coverage_edit", args=[
        w.patient.pk, _claim(w).plan_id]), "post",
        {**ACCOUNT_VIEW, "front_desk": 400, "practitioner": 400, "clinic_admin": 400}),
    "fee_schedule": (lambda w: reverse("fee_schedule"), "get",
                     {"anonymous": 302, "patient": 403, "other_patient": 403, "front_desk": 403,
                      "practitioner": 403, "clinic_admin": 200, "other_clinic": 403}),
    # FHIR API with a browser session (tokens: tests/interop). Errors are OperationOutcomes:
    # 401 without credentials; the staff see what their pages show; patients use the portal.
    "fhir_metadata": (lambda w: reverse("fhir_metadata"), "get", dict.fromkeys(ROLES, 200)),
    # The search parameters' definitions are public, like the metadata that names them.
    "fhir_search_parameter": (lambda w: reverse("fhir_search_parameter",
                                                args=["Patient-family"]), "get",
                              dict.fromkeys(ROLES, 200)),
    "fhir_search": (lambda w: reverse("fhir_search", args=["Patient"]), "get",
                    {"anonymous": 401, **PATIENTS_FORBIDDEN, **STAFF_A, "other_clinic": 200}),
    "fhir_read": (lambda w: reverse("fhir_read", args=["Patient", w.patient.pk]), "get",
                  {"anonymous": 401, **PATIENTS_FORBIDDEN, **STAFF_A, "other_clinic": 404}),
    "fhir_everything": (lambda w: reverse("fhir_everything", args=[w.patient.pk]), "get",
                        {"anonymous": 401, **PATIENTS_FORBIDDEN, **STAFF_A,
                         "other_clinic": 404}),
    # A Group is a practitioner's patients: read by the staff who see the practitioner.
    "fhir_group_read": (lambda w: reverse("fhir_group_read", args=[w.practitioner_record.pk]),
                        "get", {"anonymous": 401, **PATIENTS_FORBIDDEN, **STAFF_A,
                                "other_clinic": 404}),
    # POST _search, bulk export and import need a token; a session is refused.
    "fhir_search_post": (lambda w: reverse("fhir_search_post", args=["Patient"]), "post",
                         dict.fromkeys(ROLES, 401)),
    "fhir_export": (lambda w: reverse("fhir_export"), "get", dict.fromkeys(ROLES, 401)),
    "fhir_patient_export": (lambda w: reverse("fhir_patient_export"), "get",
                            dict.fromkeys(ROLES, 401)),
    "fhir_group_export": (lambda w: reverse("fhir_group_export",
                                            args=[w.practitioner_record.pk]), "get",
                          dict.fromkeys(ROLES, 401)),
    "fhir_export_status": (lambda w: reverse("fhir_export_status", args=[1]), "get",
                           {**dict.fromkeys(ROLES, 403), "anonymous": 401}),
    "fhir_export_file": (lambda w: reverse("fhir_export_file", args=[1, "Patient.ndjson"]),
                         "get", {**dict.fromkeys(ROLES, 403), "anonymous": 401}),
    "fhir_transaction": (lambda w: reverse("fhir_transaction"), "post",
                         dict.fromkeys(ROLES, 401)),
    "fhir_not_found": (lambda w: "/fhir/Patient/1/_history/2", "get",
                       dict.fromkeys(ROLES, 404)),
    "api_tokens": (lambda w: reverse("api_tokens"), "get",
                   {"anonymous": 302, **dict.fromkeys(ROLES[1:], 403), "clinic_admin": 200}),
    "api_token_revoke": (lambda w: reverse("api_token_revoke", args=[w.api_token.pk]), "post",
                         {"anonymous": 302, **dict.fromkeys(ROLES[1:], 403),
                          "clinic_admin": 302}),
    # SMART: discovery is public; the authorise page needs a log-in (a request without an
    # S256 code challenge is refused on it, 400); the token and revocation endpoints are
    # the apps' (no session: a request without a client is refused).
    "smart_configuration": (lambda w: reverse("smart_configuration"), "get",
                            dict.fromkeys(ROLES, 200)),
    "fhir_smart_configuration": (lambda w: reverse("fhir_smart_configuration"), "get",
                                 dict.fromkeys(ROLES, 200)),
    "oauth_authorize": (lambda w: reverse("oauth_authorize"), "get",
                        {**dict.fromkeys(ROLES, 400), "anonymous": 302}),
    "oauth_token": (lambda w: reverse("oauth_token"), "post", dict.fromkeys(ROLES, 400)),
    "oauth_revoke": (lambda w: reverse("oauth_revoke"), "post", dict.fromkeys(ROLES, 400)),
    "smart_apps": (lambda w: reverse("smart_apps"), "get",
                   {"anonymous": 302, **dict.fromkeys(ROLES[1:], 403), "clinic_admin": 200}),
    "smart_app_revoke": (lambda w: reverse("smart_app_revoke", args=[w.smart_app.pk]), "post",
                         {"anonymous": 302, **dict.fromkeys(ROLES[1:], 403),
                          "clinic_admin": 302}),
    "smart_authorization_revoke": (lambda w: reverse("smart_authorization_revoke",
                                                     args=[w.smart_authorization.pk]), "post",
                                   {"anonymous": 302, **dict.fromkeys(ROLES[1:], 403),
                                    "clinic_admin": 302}),
    "portal_record_fhir": (lambda w: reverse("portal_record_fhir"), "get", PORTAL_OWN),
    "break_glass": (lambda w: reverse("break_glass", args=[w.patient.pk]), "get",
                    CLINICAL_MANAGE),
    "portal_corrections": (lambda w: reverse("portal_corrections"), "get", PORTAL_OWN),
    # Archiving is the clinic admin's (an empty POST: no reason, told so, back to the chart).
    "patient_archive": (lambda w: reverse("patient_archive", args=[w.patient.pk]), "post",
                        {"anonymous": 302, "patient": 403, "other_patient": 404,
                         "front_desk": 403, "practitioner": 403, "clinic_admin": 302,
                         "other_clinic": 404}),
    "correction_respond": (lambda w: reverse("correction_respond",
                                             args=[w.patient.pk, w.correction.pk]), "post",
                           {"anonymous": 302, "patient": 403, "other_patient": 404,
                            "front_desk": 403, "practitioner": 302, "clinic_admin": 302,
                            "other_clinic": 404}),
    "ping": (lambda w: reverse("ping"), "get", {**dict.fromkeys(ROLES, 200), "anonymous": 302}),
    # The developer's mailbox exists only where messages go to it (tests/web/test_mailbox.py);
    # with the default backends, as in production, it is not there for anyone.
    "mailbox": (lambda w: reverse("mailbox"), "get", {**dict.fromkeys(ROLES, 404),
                                                      "anonymous": 302}),
    "fhir_base": (lambda w: reverse("fhir_base"), "post", dict.fromkeys(ROLES, 401)),
    # Two-factor pages: anyone logged in may enrol; without a device, verify sends to
    # enrolment; new recovery codes need a verified session first.
    "two_factor_setup": (lambda w: reverse("two_factor_setup"), "get",
                         {**dict.fromkeys(ROLES, 200), "anonymous": 302}),
    "two_factor_verify": (lambda w: reverse("two_factor_verify"), "get",
                          dict.fromkeys(ROLES, 302)),
    "two_factor_recovery": (lambda w: reverse("two_factor_recovery"), "get",
                            dict.fromkeys(ROLES, 302)),
    "login": (lambda w: reverse("login"), "get",
              {"anonymous": 200, "patient": 302, "other_patient": 302, "front_desk": 302,
               "practitioner": 302, "clinic_admin": 302, "other_clinic": 302}),
    "logout": (lambda w: reverse("logout"), "post", dict.fromkeys(ROLES, 302)),
    # Clinic administration: the clinic admin of this clinic only (another clinic's admin
    # gets 404 for this clinic's rows: tests/clinicadmin/test_pages.py).
    "clinic_admin": (lambda w: reverse("clinic_admin"), "get", CLINIC_ADMIN_ONLY),
    "clinic_staff": (lambda w: reverse("clinic_staff"), "get", CLINIC_ADMIN_ONLY),
    "clinic_staff_detail": (lambda w: reverse("clinic_staff_detail", args=[w.front_desk.pk]),
                            "get", CLINIC_ADMIN_ONLY),
    "clinic_staff_deactivate": (lambda w: reverse("clinic_staff_deactivate",
                                                  args=[w.front_desk.pk]), "post",
                                {**CLINIC_ADMIN_ONLY, "clinic_admin": 302}),
    "clinic_staff_reactivate": (lambda w: reverse("clinic_staff_reactivate",
                                                  args=[w.front_desk.pk]), "post",
                                {**CLINIC_ADMIN_ONLY, "clinic_admin": 302}),
    "clinic_staff_2fa_reset": (lambda w: reverse("clinic_staff_2fa_reset",
                                                 args=[w.front_desk.pk]), "post",
                               {**CLINIC_ADMIN_ONLY, "clinic_admin": 302}),
    "clinic_staff_unlock": (lambda w: reverse("clinic_staff_unlock", args=[w.front_desk.pk]),
                            "post", {**CLINIC_ADMIN_ONLY, "clinic_admin": 302}),
    "clinic_staff_password": (lambda w: reverse("clinic_staff_password",
                                                args=[w.front_desk.pk]), "post",
                              {**CLINIC_ADMIN_ONLY, "clinic_admin": 302}),
    "clinic_invitations": (lambda w: reverse("clinic_invitations"), "get", CLINIC_ADMIN_ONLY),
    "clinic_invitation_cancel": (lambda w: reverse("clinic_invitation_cancel",
                                                   args=[_invitation(w).pk]), "post",
                                 {**CLINIC_ADMIN_ONLY, "clinic_admin": 302}),
    "clinic_invitation_resend": (lambda w: reverse("clinic_invitation_resend",
                                                   args=[_invitation(w).pk]), "post",
                                 {**CLINIC_ADMIN_ONLY, "clinic_admin": 302}),
    "clinic_audit": (lambda w: reverse("clinic_audit"), "get", CLINIC_ADMIN_ONLY),
    "clinic_questionnaires": (lambda w: reverse("clinic_questionnaires"), "get",
                              CLINIC_ADMIN_ONLY),
    "clinic_consent_forms": (lambda w: reverse("clinic_consent_forms"), "get",
                             CLINIC_ADMIN_ONLY),
    "clinic_audit_csv": (lambda w: reverse("clinic_audit_csv"), "get", CLINIC_ADMIN_ONLY),
    "clinic_rows": (lambda w: reverse("clinic_rows", args=["locations"]), "get",
                    CLINIC_ADMIN_ONLY),
    "clinic_row_edit": (lambda w: reverse("clinic_row_edit", args=["locations", w.location.pk]),
                        "get", CLINIC_ADMIN_ONLY),
    "clinic_payer_ncd_list": (lambda w: reverse("clinic_payer_ncd_list", args=[_medicare(w).pk]),
                              "get", CLINIC_ADMIN_ONLY),
    # One's own password: anyone logged in; the reset pages: anyone.
    "password_change": (lambda w: reverse("password_change"), "get",
                        {**dict.fromkeys(ROLES, 200), "anonymous": 302}),
    "password_reset": (lambda w: reverse("password_reset"), "get", dict.fromkeys(ROLES, 200)),
    # Invitations to a clinic's staff: one's own, logged in; accepting another's is 404.
    "staff_invitations": (lambda w: reverse("staff_invitations"), "get",
                          {**dict.fromkeys(ROLES, 200), "anonymous": 302}),
    "staff_invitation_accept": (lambda w: reverse("staff_invitation_accept", args=[1]),
                                "post", {**dict.fromkeys(ROLES, 404), "anonymous": 302}),
    "password_reset_confirm": (lambda w: reverse("password_reset_confirm",
                                                 args=["MQ", "set-password"]), "get",
                               dict.fromkeys(ROLES, 200)),
    "admin:index": (lambda w: reverse("admin:index"), "get",
                    {"anonymous": 302, "patient": 302, "other_patient": 302,
                     "front_desk": 302, "practitioner": 302, "clinic_admin": 302,
                     "other_clinic": 302}),  # platform operators only (tests/web/test_admin.py)
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_what_the_policy_says(name, role, world_with_consent, login):
    build, method, expected = MATRIX[name]
    client = login(world_with_consent.user_for(role))
    response = getattr(client, method)(build(world_with_consent))
    assert response.status_code == expected[role], (name, role)


def test_every_named_page_has_an_entry_in_the_matrix():
    names = {
        name for name in get_resolver().reverse_dict
        if isinstance(name, str) and not name.startswith("admin")
    }
    # Admin pages are covered by test_admin.py; the index stands for them here.
    assert names <= set(MATRIX), f"pages without an access entry: {sorted(names - set(MATRIX))}"
