"""835 import (issue #29 §2): payments, adjustments (CAS group and CARC) and denials
posted to the claims named by the number sent in CLM01; what matches nothing is listed
for a person; the same payment is never posted twice; an 835 built for a batch posts
exactly the amounts it carries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.urls import reverse

from acuback.billing import claims, x12
from acuback.billing.models import ClaimAdjustment, ClaimPayment, ClaimStatus, Remittance
from tests.factories import request_for

from .conftest import VALID_NPI, visit
from .test_electronic_claims import prepare, set_up_for_claims, submit

DAYS = [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]


def _sent(world):
    set_up_for_claims(world)
    for day in DAYS:
        visit(world, day, sets=[(15, False), (15, False)])  # 97810 80 + 97811 40
    found = prepare(world, DAYS[0], DAYS[-1])
    batch = submit(world, found)
    return sorted(found, key=lambda c: c.date_of_service), batch


def _835(claims_paid, trace="EFT-0001", total=None):
    envelope = x12.Envelope("MEDICARE01", "ACUBACK01", x12.Party("MEDICARE", person=False),
                            "", "", x12.Party("ACUBACK", person=False), 41,
                            datetime(2026, 4, 1, 9, 0))
    remittance = x12.Remittance(trace, "1999999999", "MEDICARE PART B",
                                total if total is not None else
                                sum((c.paid for c in claims_paid), Decimal(0)),
                                date(2026, 4, 1), claims_paid)
    return x12.remittance_file(envelope, remittance,
                               x12.Party("PORTER", person=True, id_qualifier="XX",
                                         identifier=VALID_NPI))


def _paid_in_full(claim):
    return x12.ClaimPaid(claim.number, "1", Decimal("120"), Decimal("76.61"),
                         Decimal("19.15"), "ICN-A",
                         [x12.Adjustment("CO", "45", Decimal("14.24"), "97810"),
                          x12.Adjustment("CO", "45", Decimal("10.00"), "97811"),
                          x12.Adjustment("PR", "2", Decimal("19.15"), "97810")],
                         [("97810", Decimal("80"), Decimal("46.61")),
                          ("97811", Decimal("40"), Decimal("30.00"))])


def _one_line_denied(claim):
    return x12.ClaimPaid(claim.number, "1", Decimal("120"), Decimal("50.33"),
                         Decimal("0"), "ICN-B",
                         [x12.Adjustment("CO", "45", Decimal("29.67"), "97810"),
                          x12.Adjustment("CO", "96", Decimal("40"), "97811")],
                         [("97810", Decimal("80"), Decimal("50.33")),
                          ("97811", Decimal("40"), Decimal("0"))])


def _denied(claim):
    return x12.ClaimPaid(claim.number, "4", Decimal("120"), Decimal("0"), Decimal("0"),
                         "ICN-C", [x12.Adjustment("CO", "50", Decimal("120"))], [])


def _upload(client, document, name="remit.835"):
    return client.post(reverse("remittances_page"),
                       {"file": SimpleUploadedFile(name, document.encode())})


def test_an_835_for_a_batch_posts_exactly_what_it_carries(medicare_patient, login):
    world = medicare_patient
    (first, second, third), _ = _sent(world)
    stray = x12.ClaimPaid("ACU-999999", "1", Decimal("85"), Decimal("12.34"), Decimal("0"),
                          "ICN-X", [x12.Adjustment("CO", "45", Decimal("72.66"))], [])
    document = _835([_paid_in_full(first), _one_line_denied(second), _denied(third), stray])
    assert x12.problems(document) == []
    response = _upload(login(world.admin), document)
    assert response.status_code == 302
    remittance = Remittance.objects.get()
    # The sum check, to the cent: what is posted (matched and not) is what the file carries.
    assert remittance.total_paid == Decimal("139.28")
    assert ClaimPayment.objects.aggregate(s=Sum("paid"))["s"] == Decimal("139.28")
    assert ClaimPayment.objects.filter(claim__isnull=False).aggregate(
        s=Sum("paid"))["s"] == Decimal("126.94")
    for claim, status in ((first, ClaimStatus.PAID), (second, ClaimStatus.PARTLY_PAID),
                          (third, ClaimStatus.DENIED)):
        claim.refresh_from_db()
        assert claim.status == status, claim.number
        payment = claim.payments.get()
        adjusted = payment.adjustments.aggregate(s=Sum("amount"))["s"]
        assert payment.charge - payment.paid == adjusted  # the 835 balances per claim
    assert set(ClaimAdjustment.objects.values_list("group", "reason")) == {
        ("CO", "45"), ("PR", "2"), ("CO", "96"), ("CO", "50")}
    assert first.payer_control_number == "ICN-A"
    # What matched nothing is listed for a person.
    unmatched = ClaimPayment.objects.get(claim__isnull=True)
    assert unmatched.claim_number == "ACU-999999"
    page = login(world.admin).get(reverse("remittances_page")).content.decode()
    assert "ACU-999999" in page and "No claim of the clinic has this number" in page


def test_a_reimported_835_is_not_posted_twice_even_reformatted(medicare_patient, login):
    world = medicare_patient
    (first, *_), _ = _sent(world)
    document = _835([_paid_in_full(first)])
    admin = login(world.admin)
    assert _upload(admin, document).status_code == 302
    again = _upload(admin, document.replace("\n", ""), name="again.835")
    assert again.status_code == 400
    assert "already imported" in " ".join(again.context["form"].errors["file"])
    assert Remittance.objects.count() == 1 and ClaimPayment.objects.count() == 1
    first.refresh_from_db()
    assert first.events.filter(status=ClaimStatus.PAID).count() == 1


def test_a_payment_for_a_claim_not_sent_is_listed_not_posted(medicare_patient, login):
    world = medicare_patient
    set_up_for_claims(world)
    visit(world, DAYS[0])
    (draft,) = prepare(world, DAYS[0], DAYS[0])  # ready, never sent
    assert _upload(login(world.admin), _835([x12.ClaimPaid(
        draft.number, "1", Decimal("80"), Decimal("60"), Decimal("0"), "ICN-D",
        [x12.Adjustment("CO", "45", Decimal("20"))], [])])).status_code == 302
    draft.refresh_from_db()
    assert draft.status == ClaimStatus.READY
    assert "not sent" in ClaimPayment.objects.get().unmatched_reason


def test_a_file_that_is_not_a_valid_835_is_refused_naming_the_file(medicare_patient, login):
    admin = login(medicare_patient.admin)
    for content in ("hello", _835([]).replace("BPR*I*", "BPR*Q*")):
        response = _upload(admin, content)
        assert response.status_code == 400 and "file" in response.context["form"].errors
    _, batch = _sent(medicare_patient)
    response = _upload(admin, batch.x12)  # an 837P is not a remittance
    assert response.status_code == 400 and not Remittance.objects.exists()


def test_a_denied_claim_is_corrected_with_the_payers_control_number(medicare_patient, login):
    world = medicare_patient
    (first, *_), _ = _sent(world)
    _upload(login(world.admin), _835([_denied(first)]))
    first.refresh_from_db()
    assert first.status == ClaimStatus.DENIED
    new = claims.claim_correct(claim=first, request=request_for(world.admin))
    batch = submit(world, [new])
    assert "REF*F8*ICN-C~" in batch.x12 and x12.problems(batch.x12) == []


def test_a_payment_naming_another_clinics_claim_is_not_posted_to_it(medicare_patient, login):
    """Matching is within the importing clinic: another clinic's claim number is
    unmatched for this clinic and the other clinic's claim is untouched."""
    from acuback.accounts.models import Clinic, Membership, Role
    from tests.factories import make_user

    world = medicare_patient
    (first, *_), _ = _sent(world)
    other = Clinic.objects.exclude(pk=world.clinic.pk).first()
    their_admin = make_user(other, Role.CLINIC_ADMIN, "beta_admin")
    assert Membership.objects.filter(user=their_admin, clinic=other).exists()
    response = _upload(login(their_admin), _835([_paid_in_full(first)]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == ClaimStatus.SUBMITTED and not first.payments.exists()
    assert ClaimPayment.objects.get().claim is None
