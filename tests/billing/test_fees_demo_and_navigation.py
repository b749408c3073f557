"""Fee schedule per clinic (editable by the clinic admin), the demo's signed sessions
carrying codes and fees, and the claims export reachable from the billing navigation."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from acuback.audit.models import AuditEvent
from acuback.billing.models import FeeSchedule
from acuback.clinical import cpt


def test_the_admin_sets_a_fee_for_each_code_the_clinic_can_bill(world, login):
    admin = login(world.admin)
    page = admin.get(reverse("fee_schedule")).content.decode()
    assert all(code in page for code in cpt.BILLABLE_CODES)
    response = admin.post(reverse("fee_schedule"), {"97810": "80.00", "97814": "45.50"})
    assert response.status_code == 302
    assert dict(FeeSchedule.objects.filter(clinic=world.clinic)
                .values_list("code", "amount")) == {"97810": 80, "97814": 45.5}
    assert AuditEvent.objects.filter(action="billing.fees_save").exists()
    admin.post(reverse("fee_schedule"), {"97810": "82.00"})  # 97814 left blank: no fee
    assert dict(FeeSchedule.objects.values_list("code", "amount")) == {"97810": 82}


def test_a_bad_fee_is_named_and_nothing_is_saved(world, login):
    response = login(world.admin).post(reverse("fee_schedule"),
                                       {"97810": "80", "97811": "-5"})
    assert response.status_code == 400 and "97811" in response.context["form"].errors
    assert not FeeSchedule.objects.exists()


@pytest.mark.parametrize("role", ["front_desk", "practitioner", "other_clinic"])
def test_only_the_clinic_admin_edits_fees(world, login, role):
    assert login(world.user_for(role)).get(reverse("fee_schedule")).status_code == 403


def test_the_claims_export_is_in_the_billing_navigation_for_the_roles_that_bill(world, login):
    home = login(world.admin).get(reverse("home")).content.decode()
    assert f'href="{reverse("billing_home")}"' in home
    billing = login(world.admin).get(reverse("billing_home")).content.decode()
    assert f'action="{reverse("claim_export")}"' in billing
    page = login(world.practitioner).get(reverse("home")).content.decode()
    assert f'href="{reverse("billing_home")}"' not in page
    assert login(world.practitioner).get(reverse("billing_home")).status_code == 403
    # The front desk's Billing page has the day's takings, not the claims export.
    desk = login(world.front_desk).get(reverse("billing_home"))
    assert desk.status_code == 200 and reverse("claim_export") not in desk.content.decode()


def test_the_demos_superbills_show_charges_and_incident_to_npis(db, client):
    from acuback.accounts.models import User
    from acuback.billing.models import CoveragePlan

    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    client.force_login(User.objects.get(username="frontdesk"))
    from acuback.patients.models import Patient

    grace = Patient.objects.get(given_name="Grace", family_name="Thompson")
    today = timezone.localdate()
    period = {"from": (today - timedelta(days=60)).isoformat(), "to": today.isoformat()}
    page = client.get(reverse("patient_superbill", args=[grace.pk]), period).content.decode()
    assert "No signed session" not in page and "No fee for" not in page
    assert "97810" in page and "85.00" in page and "CHP-204-1177" in page
    client.force_login(User.objects.get(username="admin"))
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("claim_export"), period)
                                           .content.decode())))
    medicare = CoveragePlan.objects.get(payer__kind="medicare").patient
    theirs = [r for r in rows if r["box_2_patient_name"].startswith(medicare.family_name)]
    assert theirs and all(r["box_33a_billing_npi"] == "1234567893" for r in theirs)
    assert all(r["box_24f_charges"] and r["box_24j_rendering_npi"] and r["box_1a_insured_id"]
               for r in rows)


def test_the_demo_has_a_claim_batch_with_its_837p_and_an_835_posted_to_it(db):
    """Issue #29 §5: the demo's Medicare patient's claims sent in a batch whose 837P
    passes pyx12, and Medicare's 835 posted to them, to the cent."""
    from django.db.models import Sum

    from acuback.billing import x12
    from acuback.billing.models import ClaimBatch, ClaimPayment, CoveragePlan, Remittance

    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    batch = ClaimBatch.objects.get()
    assert x12.problems(batch.x12) == []
    medicare = CoveragePlan.objects.get(payer__kind="medicare").patient
    theirs = batch.claims.filter(patient=medicare)
    assert theirs.exists()
    assert "NM1*85*1*PORTER*JAMES****XX*1234567893" in batch.x12  # incident-to Dr Porter
    remittance = Remittance.objects.get()
    posted = ClaimPayment.objects.filter(remittance=remittance, claim__patient=medicare)
    assert posted.count() == theirs.count()
    assert posted.aggregate(s=Sum("paid"))["s"] == remittance.total_paid
    assert not ClaimPayment.objects.filter(claim__isnull=True).exists()
    assert set(theirs.values_list("status", flat=True)) <= {"paid", "partly_paid", "denied"}
