"""Payers, patients' coverage plans and authorisations: payer rules as data."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import connection, models
from django.db.models import Q
from django.template.defaultfilters import pluralize

from acuback import sql
from acuback.accounts import policy
from acuback.accounts.models import Clinic
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


class CoveragePlan(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverage_plans")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="plans")
    plan_name = models.CharField(max_length=120, blank=True)
    member_id = models.CharField(max_length=60, blank=True)
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
    scan = models.FileField(upload_to="abn/%Y/", blank=True)
    services = models.CharField(max_length=300, blank=True)
    estimated_cost = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-visit_date"]
        indexes = [models.Index(fields=["patient", "visit_date"], name="abn_patient_date_idx")]

    def __str__(self) -> str:
        return f"ABN {self.visit_date} — {self.patient}"


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
