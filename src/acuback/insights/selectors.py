"""Clinic outcome figures, all from SQL aggregates over stored scores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)

from acuback.clinical.evidence import wilson_interval
from acuback.outcomes.models import QuestionnaireResponse
from acuback.patients.models import EpisodeOfCare

# The clinic's primary responder rule (instruments.md §1): ≥ 30 % improvement on
# the pain NRS and on the ODI, against the episode's baseline.
RESPONDER_PERCENT = 30.0
MEASURES = (("nrs", "Pain (NRS)"), ("odi", "Function (ODI)"))
TIME_POINTS = (("review", "Review"), ("discharge", "Discharge"),
               ("follow_up_3m", "3-month follow-up"), ("follow_up_6m", "6-month follow-up"))


@dataclass(frozen=True)
class Rate:
    measure: str
    time_point: str
    n: int
    responders: int

    @property
    def time_point_label(self) -> str:
        return dict(TIME_POINTS)[self.time_point]

    @property
    def measure_label(self) -> str:
        return dict(MEASURES)[self.measure]

    @property
    def share(self) -> float | None:
        return self.responders / self.n if self.n else None

    @property
    def ci(self) -> tuple[float, float] | None:
        return wilson_interval(self.responders, self.n) if self.n else None


def _score(instrument: str, time_point: str, first: bool) -> Subquery:
    qs = (QuestionnaireResponse.objects.current()
          .filter(episode=OuterRef("pk"), instrument=instrument, time_point=time_point,
                  total__isnull=False)
          .order_by("submitted_at" if first else "-submitted_at").values("total")[:1])
    return Subquery(qs, output_field=FloatField())


def responder_rates(episodes) -> list[Rate]:
    """One aggregate query per measure: episodes with a baseline and the time point."""
    rates = []
    for instrument, _ in MEASURES:
        annotated = episodes.annotate(baseline=_score(instrument, "baseline", True))
        aggregates = {}
        for time_point, _ in TIME_POINTS:
            annotated = annotated.annotate(**{f"at_{time_point}": _score(instrument, time_point,
                                                                        False)})
            has = Q(baseline__gt=0) & Q(**{f"at_{time_point}__isnull": False})
            improved = Case(When(has & Q(**{f"at_{time_point}__lte": F("baseline") * Value(
                1 - RESPONDER_PERCENT / 100)}), then=Value(1)))
            aggregates[f"n_{time_point}"] = Count("pk", filter=has)
            aggregates[f"r_{time_point}"] = Count(improved)
        row = annotated.aggregate(**aggregates)
        rates += [Rate(instrument, time_point, row[f"n_{time_point}"], row[f"r_{time_point}"])
                  for time_point, _ in TIME_POINTS]
    return rates


def clinic_episodes(*, clinic_ids, practitioner=None):
    episodes = EpisodeOfCare.objects.filter(patient__clinic_id__in=clinic_ids)
    if practitioner is not None:
        episodes = episodes.filter(sessions__practitioner=practitioner).distinct()
    return episodes


def _startback(band: str):
    return Subquery(QuestionnaireResponse.objects.current().filter(
        episode=OuterRef("pk"), instrument="startback", band=band).values("pk")[:1])


def breakdowns(episodes) -> list[tuple[str, str, list[Rate]]]:
    """Responder rates by treatment style, chronicity at opening, STarT Back group and
    electroacupuncture use: each group one filtered aggregate."""
    from django.db.models import Exists

    from acuback.treatment.models import Session, Style, TreatmentPlan

    groups: list[tuple[str, str, object]] = []
    for style, label in Style.choices:
        groups.append(("Treatment style", label, episodes.filter(
            Exists(TreatmentPlan.objects.filter(episode=OuterRef("pk"), style=style)))))
    chronic = Q(onset_date__lte=F("opened_on") - timedelta(weeks=12))
    groups.append(("Chronicity at opening", "Chronic (12 weeks or more)", episodes.filter(chronic)))
    groups.append(("Chronicity at opening", "Acute or subacute", episodes.exclude(chronic)))
    for band in ("low", "medium", "high"):
        groups.append(("STarT Back risk", band.capitalize(),
                       episodes.filter(Exists(_startback(band)))))
    with_ea = Exists(Session.objects.filter(episode=OuterRef("pk"), electroacupuncture=True,
                                            status="signed"))
    groups.append(("Electroacupuncture", "Used", episodes.filter(with_ea)))
    groups.append(("Electroacupuncture", "Not used", episodes.exclude(with_ea)))
    result = []
    for dimension, label, subset in groups:
        rates = [r for r in responder_rates(subset) if r.time_point == "review"]
        if any(r.n for r in rates):
            result.append((dimension, label, rates))
    return result


@dataclass(frozen=True)
class ArtComparison:
    """The clinic's figure in the ART trial's terms (evidence.md §3 rules 1–5)."""

    eligible: int  # chronic episodes with a baseline NRS of 4 or more
    measured: int  # of those, with an NRS 6–10 weeks after the baseline
    mean_change: float | None  # NRS × 10, completers

    @property
    def lost(self) -> float | None:
        return None if not self.eligible else 100 * (1 - self.measured / self.eligible)


def art_comparison(episodes) -> ArtComparison:
    """Mean NRS change × 10 at 8 ± 2 weeks after baseline, in chronic episodes with a
    baseline NRS ≥ 4 (the project's analogue of ART's VAS ≥ 40). Two queries."""
    from django.db.models import Avg, DateTimeField, ExpressionWrapper

    baseline_at = Subquery(QuestionnaireResponse.objects.current().filter(
        episode=OuterRef("pk"), instrument="nrs", time_point="baseline", total__isnull=False)
        .order_by("submitted_at").values("submitted_at")[:1], output_field=DateTimeField())
    chronic = Q(onset_date__lte=F("opened_on") - timedelta(weeks=12))
    cohort = (episodes.filter(chronic).annotate(baseline=_score("nrs", "baseline", True),
                                                baseline_at=baseline_at)
              .filter(baseline__gte=4))
    later = QuestionnaireResponse.objects.current().filter(
        episode=OuterRef("pk"), instrument="nrs", total__isnull=False,
        submitted_at__gte=ExpressionWrapper(OuterRef("baseline_at") + timedelta(weeks=6),
                                            output_field=DateTimeField()),
        submitted_at__lte=ExpressionWrapper(OuterRef("baseline_at") + timedelta(weeks=10),
                                            output_field=DateTimeField()),
    ).order_by("-submitted_at").values("total")[:1]
    rows = cohort.annotate(at_8=Subquery(later, output_field=FloatField()))
    eligible = rows.count()
    measured = rows.filter(at_8__isnull=False)
    mean = measured.aggregate(m=Avg(F("at_8") - F("baseline")))["m"]
    return ArtComparison(eligible, measured.count(),
                         None if mean is None else round(10 * mean, 1))
