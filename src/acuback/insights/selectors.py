"""Clinic outcome figures, all SQL aggregates over the stored per-episode measures
(``outcomes.EpisodeMeasure``): one row per episode and instrument, so a figure costs one
pass over the clinic's episodes, not a search of each episode's responses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, F, OuterRef, Q, Value

from acuback.clinical import episodes as episode_rules
from acuback.clinical.evidence import wilson_interval
from acuback.outcomes.models import EpisodeMeasure, QuestionnaireResponse
from acuback.patients.models import EpisodeOfCare

# Responders by the one rule (clinical.responders), stored per episode and time point.
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


def chronic_at_opening() -> Q:
    """Episodes chronic when opened (``clinical.episodes.chronicity`` on ``opened_on``), as
    a filter on episodes."""
    return Q(onset_date__lte=F("opened_on") - timedelta(weeks=episode_rules.CHRONIC_FROM_WEEKS))


def _measures(episodes, instrument: str | None = None):
    rows = EpisodeMeasure.objects.filter(episode__in=episodes)
    return rows if instrument is None else rows.filter(instrument=instrument)


def responder_rates(episodes) -> list[Rate]:
    """One aggregate query over the stored per-episode measures: episodes with a baseline
    and a score at the time point; responders by the stored flag of the one rule."""
    aggregates = {}
    for instrument, _ in MEASURES:
        for time_point, _ in TIME_POINTS:
            flag = f"responder_{time_point}"
            has = Q(instrument=instrument, **{f"{flag}__isnull": False})
            aggregates[f"{instrument}_n_{time_point}"] = Count("pk", filter=has)
            aggregates[f"{instrument}_r_{time_point}"] = Count(
                "pk", filter=has & Q(**{flag: True}))
    row = _measures(episodes).filter(instrument__in=[m for m, _ in MEASURES]) \
        .aggregate(**aggregates)
    return [Rate(instrument, time_point, row[f"{instrument}_n_{time_point}"],
                 row[f"{instrument}_r_{time_point}"])
            for instrument, _ in MEASURES for time_point, _ in TIME_POINTS]


def clinic_episodes(*, clinic_ids, practitioner=None):
    episodes = EpisodeOfCare.objects.filter(patient__clinic_id__in=clinic_ids)
    if practitioner is not None:
        episodes = episodes.filter(sessions__practitioner=practitioner).distinct()
    return episodes


def _startback(band: str):
    return QuestionnaireResponse.objects.current().filter(
        episode=OuterRef("pk"), instrument="startback", band=band)


def breakdowns(episodes) -> list[tuple[str, str, list[Rate]]]:
    """Responder rates by treatment style, chronicity at opening, STarT Back group and
    electroacupuncture use: each group one filtered aggregate."""
    from django.db.models import Exists

    from acuback.treatment.models import Session, Style, TreatmentPlan

    groups: list[tuple[str, str, object]] = []
    for style, label in Style.choices:
        groups.append(("Treatment style", label, episodes.filter(
            Exists(TreatmentPlan.objects.filter(episode=OuterRef("pk"), style=style)))))
    chronic = chronic_at_opening()
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
class AtWeek:
    """The clinic's chronic cohort measured at a trial's time point (evidence.md §3).

    ``eligible`` counts episodes with a baseline whose comparison window has closed (they
    were due); ``measured`` those with a score inside the window. ``responders`` is the
    intention-to-treat count: a missing score counts as a non-responder.
    """

    weeks: int
    eligible: int
    measured: int
    mean_change: float | None  # completers, in the instrument's units × scale
    responders: int | None = None

    @property
    def window(self) -> int:
        from acuback.clinical.evidence import window_weeks

        return window_weeks(self.weeks)

    @property
    def lost(self) -> float | None:
        return None if not self.eligible else 100 * (1 - self.measured / self.eligible)

    @property
    def itt_share(self) -> float | None:
        return None if not self.eligible or self.responders is None else \
            100 * self.responders / self.eligible

    @property
    def completer_share(self) -> float | None:
        return None if not self.measured or self.responders is None else \
            100 * self.responders / self.measured

    @property
    def ci(self) -> tuple[float, float] | None:
        return None if not self.eligible or self.responders is None else \
            tuple(100 * x for x in wilson_interval(self.responders, self.eligible))


def at_week(episodes, instrument: str, weeks: int, *, min_baseline: float | None = None,
            scale: float = 1.0, responder_points: float | None = None) -> AtWeek:
    """One aggregate query over the stored measures. Chronic episodes only (rule 5); the
    window is ± 2 weeks, ± 4 from 26 weeks (rule 2; see clinical.episode_measures); the
    latest score in the window counts."""
    from django.db.models import Avg
    from django.utils import timezone

    from acuback.clinical.episode_measures import WEEKS
    from acuback.clinical.evidence import window_weeks

    if weeks not in WEEKS:
        raise ValueError(f"Scores are stored at weeks {WEEKS}, not {weeks}.")
    window = timedelta(weeks=window_weeks(weeks))
    chronic = chronic_at_opening()
    cohort = _measures(episodes.filter(chronic), instrument).filter(
        baseline__isnull=False, baseline_at__lte=timezone.now() - timedelta(weeks=weeks) - window)
    if min_baseline is not None:
        cohort = cohort.filter(baseline__gte=min_baseline)
    later = f"week_{weeks}"
    aggregates = {"eligible": Count("pk"),
                  "measured": Count("pk", filter=Q(**{f"{later}__isnull": False})),
                  "mean": Avg(F(later) - F("baseline"))}
    if responder_points is not None:
        aggregates["responders"] = Count(
            "pk", filter=Q(**{f"{later}__lte": F("baseline") - Value(responder_points)}))
    row = cohort.aggregate(**aggregates)
    return AtWeek(weeks, row["eligible"], row["measured"],
                  None if row["mean"] is None else round(scale * row["mean"], 1),
                  row.get("responders"))


def art_comparison(episodes) -> AtWeek:
    """Mean NRS change × 10 at 8 ± 2 weeks, in chronic episodes with a baseline NRS ≥ 4
    (the project's analogue of ART's VAS ≥ 40; a labelled approximation)."""
    return at_week(episodes, "nrs", 8, min_baseline=4, scale=10)


def cherkin_comparisons(episodes) -> list[AtWeek]:
    """RMDQ responders by Cherkin's ≥ 3-point rule at 8 and 52 weeks (the time points with a
    verified benchmark), intention to treat."""
    from acuback.clinical.evidence import CHERKIN_RESPONDER_POINTS

    return [at_week(episodes, "rmdq", weeks, responder_points=CHERKIN_RESPONDER_POINTS)
            for weeks in (8, 52)]


def pain_trajectory(episodes) -> list[AtWeek]:
    """The clinic's mean NRS change × 10 at 8, 26 and 52 weeks (chronic, baseline ≥ 4),
    to draw beside the trial arms and the natural course (rule 7)."""
    return [at_week(episodes, "nrs", weeks, min_baseline=4, scale=10) for weeks in (8, 26, 52)]
