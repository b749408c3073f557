"""Payers, patients' coverage plans and authorisations: payer rules as data."""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import connection, models
from django.db.models import Q
from django.template.defaultfilters import pluralize

from acuback import sql
from acuback.accounts import policy
from acuback.accounts.models import Clinic
from acuback.accounts.validators import validate_npi
from acuback.clinical import coverage, diagnoses
from acuback.patients.models import Patient


class PayerKind(models.TextChoices):
    MEDICARE = "medicare", "Medicare (NCD 30.3.3)"
    COMMERCIAL = "commercial", "Commercial plan"
    SELF_PAY = "self_pay", "Self-pay"


class Payer(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="payers")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=PayerKind.choices)
    # Medicare: the CMS NCD 30.3.3 ICD-10 list, loaded from the CMS spreadsheet (never typed).
    covered_diagnoses = models.JSONField(null=True, blank=True,
                                         help_text="Empty until the payer's list is loaded.")
    covered_diagnoses_source = models.CharField(max_length=300, blank=True)
    year_convention = models.CharField(max_length=20, choices=[
        (c.value, c.value.replace("_", " ")) for c in coverage.YearConvention],
        default=coverage.YearConvention.MEDICARE_11_MONTHS,
        help_text="How “a year” of the annual limit is counted (Medicare: after 11 full "
                  "months from the month of the first service).")
    window_anchor = models.CharField(max_length=12, choices=[
        (coverage.WindowAnchor.ROLLING.value, "At most 12 visits in any 90 days (rolling)"),
        (coverage.WindowAnchor.FIRST_VISIT.value,
         "The 12 initial visits within 90 days of the year's first visit")],
        default=coverage.WindowAnchor.ROLLING,
        help_text="How NCD 30.3.3's “12 visits in 90 days” is counted.")
    min_minutes_per_unit = models.PositiveSmallIntegerField(default=15)
    # The payer's electronic ID at the clearing house (837P 2010BB NM109, PI).
    electronic_payer_id = models.CharField(
        "electronic payer ID", max_length=80, blank=True,
        help_text="The payer's ID at the clearing house; a claim is not ready without it.")

    class Meta:
        ordering = ["clinic", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        """The loaded list holds billable ICD-10-CM codes, and says where it came from."""
        codes = self.covered_diagnoses
        if codes is None:
            return
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ValidationError({"covered_diagnoses": "A list of ICD-10-CM codes."})
        problems = [p for p in map(diagnoses.check, codes) if p]
        if problems:
            raise ValidationError({"covered_diagnoses": problems[:5]})
        if codes and not self.covered_diagnoses_source.strip():
            raise ValidationError({"covered_diagnoses_source": "Name the CMS file the list "
                                   "was loaded from (file name, address and date)."})


class LimitPeriod(models.TextChoices):
    CALENDAR_YEAR = "calendar_year", "Per calendar year"
    ROLLING_DAYS = "rolling_days", "Rolling number of days"


class PlanQuerySet(models.QuerySet["CoveragePlan"]):
    def visible_to(self, user) -> PlanQuerySet:
        return self.filter(patient__clinic_id__in=policy.clinic_ids_with(user, "patient.view"))

    def in_force(self, on) -> PlanQuerySet:
        return self.filter(Q(effective_from__lte=on),
                           Q(effective_to__isnull=True) | Q(effective_to__gte=on))

    def primary_in_force(self, patient_id: int, on) -> CoveragePlan | None:
        """The patient's primary plan in force on `on` (the first by priority), with its
        payer, or None."""
        return self.primaries_in_force([patient_id], on).get(patient_id)

    def primaries_in_force(self, patient_ids, on) -> dict[int, CoveragePlan]:
        """Each patient's primary plan in force on `on`, with its payer; patients without
        one are left out.

        ``in_force(on).filter(patient_id__in=...).select_related("payer")`` ordered by
        priority, written out in SQL: the chart, every signature and the day view read it,
        and the ORM spent 0.8 ms building what the database answers in 0.06. Tested
        against that query."""
        day = connection.ops.adapt_datefield_value(on)
        condition, params = sql.id_in("t0.patient_id", patient_ids)
        plans: dict[int, CoveragePlan] = {}
        for plan in sql.fetch(
                CoveragePlan, f"{condition} AND t0.effective_from <= %s "
                "AND (t0.effective_to IS NULL OR t0.effective_to >= %s)", [*params, day, day],
                related=("payer",), tail="ORDER BY t0.patient_id, t0.priority, t0.id"):
            plans.setdefault(plan.patient_id, plan)
        return plans


class SubscriberRelationship(models.TextChoices):
    """The patient's relationship to the subscriber, as the 837P codes it (005010X222A1
    SBR02 for the patient who is the subscriber, 18; PAT01 otherwise)."""

    SELF = "18", "Self (the patient is the subscriber)"
    SPOUSE = "01", "Spouse"
    CHILD = "19", "Child"
    LIFE_PARTNER = "53", "Life partner"
    OTHER = "G8", "Other relationship"


class CoveragePlan(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverage_plans")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="plans")
    plan_name = models.CharField(max_length=120, blank=True)
    member_id = models.CharField("member ID", max_length=60, blank=True)
    group_number = models.CharField(max_length=50, blank=True)
    # The subscriber: the patient (self), or the person whose insurance covers them.
    subscriber_relationship = models.CharField(
        "patient's relationship to the subscriber", max_length=2,
        choices=SubscriberRelationship.choices, default=SubscriberRelationship.SELF)
    subscriber_given_name = models.CharField("subscriber's given name", max_length=100,
                                             blank=True)
    subscriber_family_name = models.CharField("subscriber's family name", max_length=100,
                                              blank=True)
    subscriber_date_of_birth = models.DateField("subscriber's date of birth", null=True,
                                                blank=True)
    # At least 1: FHIR's Coverage.order is a positiveInt, and a plan of priority 0 could
    # not be sent to any other system.
    priority = models.PositiveSmallIntegerField(default=1, help_text="1 = primary.",
                                                validators=[MinValueValidator(1)])
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    visit_limit = models.PositiveSmallIntegerField(null=True, blank=True,
                                                   help_text="Commercial plans; Medicare "
                                                   "follows the NCD.")
    limit_period = models.CharField(max_length=15, choices=LimitPeriod.choices,
                                    default=LimitPeriod.CALENDAR_YEAR)
    rolling_days = models.PositiveSmallIntegerField(default=365)
    extra_visits_need_improvement = models.BooleanField(default=False)
    copay = models.DecimalField(max_digits=8, decimal_places=2, default=0,
                                validators=[MinValueValidator(0)])
    # When the row last changed: FHIR meta.lastUpdated, _lastUpdated and $export's _since.
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "priority"]

    def __str__(self) -> str:
        return f"{self.payer} {self.plan_name} ({self.member_id})"

    def clean(self):
        errors = {}
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            errors["effective_to"] = "The end is before the start."
        if self.copay is not None and self.copay < 0:
            errors["copay"] = "A copay cannot be negative."
        errors.update(self.insurance_problems())
        if self.patient_id and self.payer_id and self.effective_from:
            others = CoveragePlan.objects.filter(patient_id=self.patient_id,
                                                 payer_id=self.payer_id).exclude(pk=self.pk)
            end = self.effective_to
            for other in others:
                if (other.effective_to is None or other.effective_to >= self.effective_from) \
                        and (end is None or other.effective_from <= end):
                    errors["effective_from"] = ("This period overlaps another coverage of the "
                                                "same payer for this patient.")
                    break
        if errors:
            raise ValidationError(errors)


    def insurance_problems(self) -> dict[str, str]:
        """The insurance details a claim needs, each missing or wrong one by its field."""
        errors: dict[str, str] = {}
        if self.member_id and not re.fullmatch(r"[A-Za-z0-9-]{1,60}", self.member_id.strip()):
            errors["member_id"] = ("A member ID holds letters, digits and dashes only, as "
                                   "on the card.")
        if self.group_number and not re.fullmatch(r"[A-Za-z0-9 -]{1,50}",
                                                  self.group_number.strip()):
            errors["group_number"] = "A group number holds letters, digits and dashes only."
        if self.subscriber_relationship == SubscriberRelationship.SELF:
            for name in ("subscriber_given_name", "subscriber_family_name",
                         "subscriber_date_of_birth"):
                if getattr(self, name):
                    errors[name] = ("Leave the subscriber blank when the patient is the "
                                    "subscriber.")
        else:
            if not self.subscriber_given_name.strip():
                errors["subscriber_given_name"] = "Enter the subscriber's given name."
            if not self.subscriber_family_name.strip():
                errors["subscriber_family_name"] = "Enter the subscriber's family name."
            born = self.subscriber_date_of_birth
            if born is None:
                errors["subscriber_date_of_birth"] = "Enter the subscriber's date of birth."
            elif born > date.today():
                errors["subscriber_date_of_birth"] = ("The subscriber's date of birth cannot "
                                                      "be in the future.")
        return errors


class Authorisation(models.Model):
    plan = models.ForeignKey(CoveragePlan, on_delete=models.CASCADE,
                             related_name="authorisations")
    number = models.CharField(max_length=60, blank=True)
    visits = models.IntegerField(validators=[MinValueValidator(0)])
    valid_from = models.DateField()
    expires_on = models.DateField()

    class Meta:
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"Authorisation {self.number} ({self.visits} visits)"

    def clean(self):
        if self.visits is not None and self.visits < 0:
            raise ValidationError({"visits": "An authorisation cannot have a negative count."})
        if self.expires_on and self.valid_from and self.expires_on < self.valid_from:
            raise ValidationError({"expires_on": "The expiry is before the start."})


class FeeSchedule(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="fees")
    code = models.CharField(max_length=10)
    amount = models.DecimalField(max_digits=8, decimal_places=2,
                                 validators=[MinValueValidator(0)])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "code"], name="one_fee_per_code"),
                       models.CheckConstraint(condition=Q(amount__gte=0),
                                              name="fee_not_negative")]

    def __str__(self) -> str:
        return f"{self.code}: {self.amount}"


class AbnOption(models.IntegerChoices):
    """The three option boxes (G) of form CMS-R-131, of which the patient chooses one."""

    BILL_MEDICARE = 1, "Option 1: I want the service; bill Medicare for an official decision"
    DO_NOT_BILL = 2, "Option 2: I want the service, but do not bill Medicare"
    DECLINE = 3, "Option 3: I don't want the service"


class AbnSignedHow(models.TextChoices):
    ON_SCREEN = "on_screen", "Signed on screen"
    SCANNED = "scanned", "Signed on paper (scan attached)"


class Abn(models.Model):
    """An Advance Beneficiary Notice (CMS-R-131) the patient signed before a visit expected
    to be denied. Option 1 signed by the date of service: the visit is billed with GA
    instead of GZ; option 2: it is not billed to Medicare (coverage-billing.md §3,
    docs/billing.md)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="abns")
    visit_date = models.DateField()
    reason = models.CharField(max_length=300)
    signature_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField(auto_now_add=True)  # when it was recorded
    # The day the patient signed (a scan may be recorded later); blank: the day recorded.
    signed_on = models.DateField(null=True, blank=True)
    option = models.PositiveSmallIntegerField(choices=AbnOption.choices,
                                              default=AbnOption.BILL_MEDICARE)
    how = models.CharField(max_length=10, choices=AbnSignedHow.choices,
                           default=AbnSignedHow.ON_SCREEN)
    services = models.CharField(max_length=300, blank=True)
    estimated_cost = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-visit_date"]
        indexes = [models.Index(fields=["patient", "visit_date"], name="abn_patient_date_idx")]

    def __str__(self) -> str:
        return f"ABN {self.visit_date} — {self.patient}"


class AbnScan(models.Model):
    """The scan of an ABN signed on paper. Kept in the database, not on a node's disk, so
    every app server serves it, the backup holds it, and it is written with the ABN in
    one transaction (issue #31 §5; docs/decisions/0185-files-every-node-serves-live-in.md).
    Never changed or deleted."""

    abn = models.OneToOneField(Abn, on_delete=models.PROTECT, related_name="scan")
    media_type = models.CharField(max_length=40)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    filename = models.CharField(max_length=200, blank=True)  # as uploaded, for the download

    def __str__(self) -> str:
        return f"Scan of {self.abn}"


# Patients who pay (issue #29 §4). Invoices, their lines, payments and voids are written
# once and never changed or deleted (a database guard too, acuback.row_guards): a mistake
# is voided and a new invoice issued; money returned is a refund, a negative payment.


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card"
    CHEQUE = "cheque", "Cheque"
    HSA_FSA = "hsa_fsa", "HSA/FSA card"


class PrepaidPackage(models.Model):
    """A number of visits paid in advance; each invoice drawn from it uses one."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="packages")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="packages")
    visits = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    price = models.DecimalField(max_digits=9, decimal_places=2,
                                validators=[MinValueValidator(0)])
    sold_at = models.DateTimeField()

    class Meta:
        ordering = ["sold_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(visits__gte=1),
                                              name="package_has_visits"),
                       models.CheckConstraint(condition=Q(price__gte=0),
                                              name="package_price_not_negative")]

    def __str__(self) -> str:
        return f"Package of {self.visits} visit{pluralize(self.visits)}"


class Invoice(models.Model):
    """What the patient owes for one date of service (or for a package sold)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="invoices")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="invoices")
    date_of_service = models.DateField(null=True, blank=True)
    # The package this visit was drawn from, or the package this invoice sold.
    drawn_from = models.ForeignKey(PrepaidPackage, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="visits_drawn")
    sells = models.OneToOneField(PrepaidPackage, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="sale")
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaced_by")
    total = models.DecimalField(max_digits=9, decimal_places=2)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        ordering = ["-issued_at", "-pk"]
        indexes = [models.Index(fields=["patient", "date_of_service"],
                                name="invoice_patient_day_idx")]

    def __str__(self) -> str:
        return f"Invoice {self.number}"

    @property
    def number(self) -> str:
        return f"INV-{self.pk:06d}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    code = models.CharField(max_length=10, blank=True)
    description = models.CharField(max_length=200)
    units = models.PositiveSmallIntegerField(default=1)
    # Negative for what the patient does not pay: the plan's share, a discount, a package.
    amount = models.DecimalField(max_digits=9, decimal_places=2)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.code or self.description}: {self.amount}"


class InvoiceVoid(models.Model):
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="void")
    reason = models.CharField(max_length=300)
    voided_at = models.DateTimeField()
    voided_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT,
                                  related_name="+")

    def __str__(self) -> str:
        return f"Void of {self.invoice}"


class Payment(models.Model):
    """Money received (positive) or refunded (negative, with a reason). No card data: the
    method and the card terminal's or bank's reference only."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="payments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="payments")
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    external_reference = models.CharField(max_length=60, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField()
    recorded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["clinic", "received_at"], name="payment_clinic_at_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="payment_not_zero"),
            models.CheckConstraint(condition=Q(amount__gt=0) | ~Q(reason=""),
                                   name="refund_has_reason")]

    def __str__(self) -> str:
        return f"{'Refund' if self.amount < 0 else 'Payment'} {self.amount}"

    @property
    def number(self) -> str:
        return f"RCT-{self.pk:06d}"


# Electronic claims and remittance (issue #29 §2): a claim is built from the record for
# one date of service, kept as it was sent (its lines are never changed), sent in a batch
# as an 837P, and paid, partly paid or denied by an 835. A correction is a new claim that
# replaces the old one (claim frequency 7), never an edit.


class ClaimSetup(models.Model):
    """What the clinic's 837P files say about the sender: the billing provider's tax ID
    and address, the submitter and the receiving clearing house."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="claim_setup")
    # When the clinic bills as a group: the group's NPI is the billing provider (2010AA)
    # and each claim names its rendering provider (2310B). Blank: the billing
    # practitioner of each claim (incident-to: the supervising one) is the billing provider.
    group_npi = models.CharField("group NPI", max_length=10, blank=True,
                                 validators=[validate_npi])
    tax_id = models.CharField("billing provider's tax ID (EIN)", max_length=9, blank=True,
                              help_text="Nine digits.")
    address_line1 = models.CharField("billing address", max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField("ZIP+4", max_length=10, blank=True,
                                   help_text="Nine digits: the 837P's billing provider "
                                   "address takes the ZIP+4.")
    submitter_id = models.CharField("submitter ID", max_length=15, blank=True,
                                    help_text="The clinic's ID at the clearing house.")
    contact_phone = models.CharField(max_length=20, blank=True)
    receiver_name = models.CharField("clearing house", max_length=60, blank=True)
    receiver_id = models.CharField("clearing house ID", max_length=15, blank=True)
    production = models.BooleanField(default=False, help_text="Off: files are marked as "
                                     "test files (ISA15 T).")

    def __str__(self) -> str:
        return f"Claim set-up of {self.clinic}"

    def clean(self):
        errors = {}
        if self.tax_id and not re.fullmatch(r"\d{9}", self.tax_id):
            errors["tax_id"] = "A tax ID (EIN) is nine digits."
        if self.postal_code and not re.fullmatch(r"\d{5}-?\d{4}", self.postal_code):
            errors["postal_code"] = "The billing provider's ZIP+4: nine digits."
        if self.state and not re.fullmatch(r"[A-Za-z]{2}", self.state):
            errors["state"] = "The state's two-letter code."
        if errors:
            raise ValidationError(errors)


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    READY = "ready", "Ready"
    SUBMITTED = "submitted", "Submitted"
    PAID = "paid", "Paid"
    PARTLY_PAID = "partly_paid", "Partly paid"
    DENIED = "denied", "Denied"
    REPLACED = "replaced", "Replaced by a corrected claim"


class ClaimBatch(models.Model):
    """Claims sent together: one 837P file, kept as sent."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="claim_batches")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT,
                                   related_name="+")
    control_number = models.PositiveIntegerField()  # ISA13/GS06, one per file of the clinic
    x12 = models.TextField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["clinic", "control_number"],
                                               name="one_batch_per_control_number")]

    def __str__(self) -> str:
        return f"Batch {self.control_number}"

    @property
    def filename(self) -> str:
        return f"837P-batch-{self.control_number:06d}.x12"


class Claim(models.Model):
    """One claim: a patient's date of service billed to one plan."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="claims")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="claims")
    plan = models.ForeignKey(CoveragePlan, on_delete=models.PROTECT, related_name="claims")
    date_of_service = models.DateField()
    status = models.CharField(max_length=12, choices=ClaimStatus.choices,
                              default=ClaimStatus.DRAFT)
    # What is missing before the claim may be sent, each in words (empty: ready).
    missing = models.JSONField(default=list, blank=True)
    diagnosis_codes = models.JSONField(default=list)
    rendering_npi = models.CharField(max_length=10, blank=True)
    rendering_name = models.CharField(max_length=200, blank=True)
    billing_npi = models.CharField(max_length=10, blank=True)
    billing_name = models.CharField(max_length=200, blank=True)
    supervising_npi = models.CharField(max_length=10, blank=True)
    supervising_name = models.CharField(max_length=200, blank=True)
    total_charge = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    frequency = models.CharField(max_length=1, default="1")  # CLM05-3: 1 original, 7 replaces
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaced_by")
    batch = models.ForeignKey(ClaimBatch, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="claims")
    payer_control_number = models.CharField(max_length=50, blank=True)  # the 835's CLP07
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-date_of_service", "-pk"]
        indexes = [models.Index(fields=["clinic", "status"], name="claim_clinic_status_idx"),
                   models.Index(fields=["patient", "date_of_service"],
                                name="claim_patient_day_idx")]

    def __str__(self) -> str:
        return f"Claim {self.number}"

    @property
    def number(self) -> str:
        """CLM01, the patient control number the 835 answers with (CLP01)."""
        return f"ACU-{self.pk:06d}"


class ClaimLine(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="lines")
    code = models.CharField(max_length=10)
    modifiers = models.CharField(max_length=20, blank=True)  # space-separated
    units = models.PositiveSmallIntegerField()
    charge = models.DecimalField(max_digits=9, decimal_places=2)
    pointers = models.CharField(max_length=10, default="1")  # SV107, e.g. "1:2"

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.code} {self.modifiers}".strip()


class ClaimEvent(models.Model):
    """Each change of a claim's status, kept (never changed)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(max_length=12, choices=ClaimStatus.choices)
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT,
                           related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.claim}: {self.status}"


class Remittance(models.Model):
    """An 835 imported: its file, and the payment it carries (TRN02 is the trace number of
    the check or transfer; one clinic never posts the same trace twice)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="remittances")
    trace_number = models.CharField(max_length=50)
    payer_identifier = models.CharField(max_length=10, blank=True)
    payer_name = models.CharField(max_length=60, blank=True)
    total_paid = models.DecimalField(max_digits=11, decimal_places=2)
    paid_on = models.DateField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    x12 = models.TextField()
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["clinic", "payer_identifier",
                                                       "trace_number"],
                                               name="one_import_per_trace")]

    def __str__(self) -> str:
        return f"835 {self.trace_number}"


class ClaimPayment(models.Model):
    """One claim of an 835 (CLP), posted to the claim it names; no claim: not matched,
    listed for a person."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT,
                                   related_name="claim_payments")
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="payments")
    claim_number = models.CharField(max_length=38)  # CLP01 as received
    status_code = models.CharField(max_length=2)  # CLP02
    charge = models.DecimalField(max_digits=9, decimal_places=2)
    paid = models.DecimalField(max_digits=9, decimal_places=2)
    patient_share = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    payer_control_number = models.CharField(max_length=50, blank=True)
    unmatched_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.claim_number}: {self.paid}"


class ClaimAdjustment(models.Model):
    """A CAS adjustment: its group (CO, PR, OA, PI, CR) and CARC reason code."""

    payment = models.ForeignKey(ClaimPayment, on_delete=models.PROTECT,
                                related_name="adjustments")
    group = models.CharField(max_length=2)
    reason = models.CharField(max_length=5)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    code = models.CharField(max_length=10, blank=True)  # the service line's procedure

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.group}-{self.reason} {self.amount}"
