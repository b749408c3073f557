"""The clinic outcomes dashboard (clinic admins: the clinic; practitioners: their patients)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from acuback.accounts import policy, zones
from acuback.accounts.models import Practitioner, Role
from acuback.accounts.selectors import credentials_needing_attention
from acuback.billing.selectors import coverage_flags
from acuback.clinical import responders
from acuback.clinical.evidence import (
    AE_RATES,
    BENCHMARKS,
    GUIDELINES,
    MIN_COHORT,
    NATURAL_COURSE_CHANGE,
    benchmark,
)
from acuback.outcomes.schedule import schedule_for
from acuback.outcomes.selectors import progress_for
from acuback.patients.models import EpisodeOfCare, EpisodeStatus, Patient
from acuback.row_ids import param_id
from acuback.treatment.models import Session, Severity
from acuback.treatment.selectors import adverse_event_rates
from acuback.web.charts import Series, comparison_svg

from . import selectors
from .ledger import ledger

NOT_IMPROVING_LIST = 20
# How long figures older than ACUBACK_DASHBOARD_CACHE_SECONDS are still shown while one
# request recomputes them, and how long that request has before another may try.
STALE_SECONDS = 600
RECOMPUTE_TURN_SECONDS = 120


@require_http_methods(["GET", "POST"])
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    clinic = policy.home_clinic(request.user)
    if clinic is None or not policy.can(request.user, "patient.view_clinical", clinic):
        raise PermissionDenied
    is_admin = Role.CLINIC_ADMIN in policy.roles(request.user, clinic)
    own = Practitioner.objects.filter(user=request.user, clinic=clinic).first()
    practitioners = Practitioner.objects.filter(clinic=clinic).order_by("display_name")
    chosen = None
    if is_admin:
        chosen = practitioners.filter(pk=param_id(request.GET.get("practitioner"))).first()
    elif own is not None:
        chosen = own  # a practitioner sees their own patients
    else:
        raise PermissionDenied
    if request.method == "POST":  # "recompute now": drop the cached figures, then show them
        cache.delete(_figures_key(clinic, chosen))
        return redirect(request.get_full_path())
    episodes = selectors.clinic_episodes(clinic_ids=[clinic.pk], practitioner=chosen)
    active = episodes.exclude(status=EpisodeStatus.DISCHARGED)
    candidates = _most_treated(active)
    progress = progress_for(candidates, schedule_for(clinic))
    not_improving = [e for e in candidates if progress[e.pk].not_improving]
    today = zones.today_at(clinic)
    flags = coverage_flags(patient_ids=active.values("patient_id"), on=today)
    return render(request, "insights/dashboard.html", {
        "clinic": clinic, "is_admin": is_admin, "practitioners": practitioners,
        "chosen": chosen, **_cached_figures(clinic, chosen, episodes, active),
        "credentials": credentials_needing_attention(user=request.user, on=today)
        if is_admin else [],
        "not_improving": not_improving, "coverage_flags": flags,
        "flagged_patients": Patient.objects.in_bulk(list(flags)),
    })


def _most_treated(active) -> list:
    """The open episodes with 6 or more sessions, most sessions first (ties by episode):
    counted on the sessions alone, then the 20 episodes read (2x faster than counting
    through a join of every open episode). COUNT(*), not of the id: PostgreSQL then counts
    from the episode index without reading the session rows."""
    top = dict(Session.objects.filter(episode_id__in=active.values("pk")).values("episode_id")
               .annotate(n=Count("*")).filter(n__gte=6).order_by("-n", "episode_id")
               .values_list("episode_id", "n")[:NOT_IMPROVING_LIST])
    episodes = EpisodeOfCare.objects.select_related("patient").in_bulk(list(top))
    for pk, n in top.items():
        episodes[pk].n = n
    return [episodes[pk] for pk in top]


def _figures_key(clinic, chosen) -> str:
    from acuback.clinical.episode_measures import RULE_VERSION
    from acuback.web.charts import DRAWING_VERSION

    return (f"acuback:insights:figures:{clinic.pk}:{chosen.pk if chosen else 'all'}:"
            f"{RULE_VERSION}:{responders.RULE_VERSION}:{DRAWING_VERSION}")


def _cached_figures(clinic, chosen, episodes, active) -> dict:
    """The outcome aggregates: SQL over every episode of the clinic (about a second for
    10,000 patients on PostgreSQL, docs/benchmarks.md), so they are kept for
    ACUBACK_DASHBOARD_CACHE_SECONDS, as the HTML they make (rendering them again cost
    5-10 ms a view), and the page says when they were computed. The lists that call for
    action (patients not improving, coverage, credentials) stay live."""
    seconds = settings.ACUBACK_DASHBOARD_CACHE_SECONDS
    key = _figures_key(clinic, chosen)
    figures = cache.get(key) if seconds else None
    # Once the figures are older than `seconds`, one request recomputes them and the others
    # keep showing the old ones (with their time) meanwhile: every viewer at that moment
    # recomputed them together before (three at once for 2.5 s each under the load
    # benchmark, and a worker's memory stepped up by 9 MiB). A recomputation that fails
    # frees the turn after RECOMPUTE_TURN_SECONDS.
    due = figures is not None and \
        (timezone.now() - figures["figures_computed_at"]).total_seconds() >= seconds
    if figures is None or (due and cache.add(key + ":recomputing", True,
                                             RECOMPUTE_TURN_SECONDS)):
        figures = _figures(clinic, episodes, active)
        if seconds:
            cache.set(key, figures, seconds + STALE_SECONDS)
            cache.delete(key + ":recomputing")
    kept = (f"{seconds // 60} minute{'s' if seconds >= 120 else ''}" if seconds >= 60
            else f"{seconds} seconds" if seconds else "")
    html = mark_safe(figures["figures_html"])  # noqa: S308 (our template's output, escaped there)  # nosec B308 B703
    return {**figures, "figures_html": html, "figures_kept_for": kept}


@dataclass(frozen=True)
class Headline:
    """One figure of the summary a clinic owner reads in a minute, with what it means
    and what it is counted over (issue #28 §8)."""

    label: str
    figure: str
    meaning: str


def headlines(*, rates, ae_rates, active_count: int) -> list[Headline]:
    """Four figures from those computed for the detail below: no query of its own."""
    result = [Headline("Open episodes", str(active_count),
                       f"{active_count} episode{'s' if active_count != 1 else ''} of care "
                       "open now, the patients in treatment.")]
    for rate in rates:
        if rate.time_point != "review":
            continue
        what = "pain" if rate.measure == "nrs" else "function (Oswestry Disability Index)"
        if not rate.n:
            result.append(Headline(f"{rate.measure_label} at review", "—",
                                   f"No episode has a baseline and a review score for "
                                   f"{what} yet."))
            continue
        result.append(Headline(
            f"{rate.measure_label} at review", f"{round(100 * rate.responders / rate.n)} %",
            f"{rate.responders} of the {rate.n} episodes with a {what} score at baseline "
            "and at review improved by at least the smallest change that matters to "
            "patients (the MCID). Before and after, with no control group."))
    events = sum(r.events for r in ae_rates)
    per_1000 = [r.per_1000_sessions for r in ae_rates if r.per_1000_sessions is not None]
    result.append(Headline(
        "Adverse events", f"{sum(per_1000):.1f} per 1,000" if per_1000 else "—",
        f"{events} adverse event{'s' if events != 1 else ''} of any severity recorded, "
        "per 1,000 signed sessions; the published rates are below." if per_1000 else
        "No signed session yet to count adverse events over."))
    return result


def _figures(clinic, episodes, active) -> dict:
    ae_rates = adverse_event_rates(clinic_ids=[clinic.pk])
    rates = selectors.responder_rates(episodes)
    active_count = active.count()
    html = render_to_string("insights/_figures.html", {
        "headlines": headlines(rates=rates, ae_rates=ae_rates, active_count=active_count),
        "rates": rates,
        "breakdowns": selectors.breakdowns(episodes),
        "art": selectors.art_comparison(episodes),
        "cherkin": [(c, benchmark(f"cherkin_responders_{c.weeks}"))
                    for c in selectors.cherkin_comparisons(episodes)],
        "trajectory": _trajectory(selectors.pain_trajectory(episodes)),
        "ledger": ledger(episodes, ae_rates=ae_rates),
        "ae_rates": [(Severity(r.severity).label, r) for r in ae_rates],
        "measures": selectors.MEASURES, "time_points": selectors.TIME_POINTS,
        "responder_definition": responders.DEFINITION,
        "responder_thresholds": [(label, responders.threshold_text(m))
                                 for m, label in selectors.MEASURES],
        "benchmarks": BENCHMARKS, "guidelines": GUIDELINES, "min_cohort": MIN_COHORT,
        "published": AE_RATES,
    })
    return {"figures_computed_at": timezone.now(), "active_count": active_count,
            "figures_html": str(html)}


@login_required
def research_export(request: HttpRequest) -> HttpResponse:
    """The de-identified export (clinic admin), audited."""
    from acuback.audit.services import audit_record

    from .export import build_zip

    clinic = policy.home_clinic(request.user)
    # Every patient's scores: for the clinical lead, who oversees every record (not
    # whoever bills; issue #25 re-test).
    if (clinic is None or not policy.can(request.user, "patient.view_clinical", clinic)
            or policy.outside_usual_scope(request.user, clinic)):
        raise PermissionDenied
    today = zones.today_at(clinic)
    content = build_zip(clinic_ids=[clinic.pk], on=today)
    audit_record(request=request, action="insights.research_export", clinic=clinic,
                 detail={"bytes": len(content)})
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = (f'attachment; filename="acuback-research-'
                                       f'{today}.zip"')
    return response



def _trajectory(points) -> dict:
    """The clinic's mean pain change beside ART's arms and the natural course (evidence.md
    §3 rule 7); clinic points below the minimum cohort are left out of the drawing."""
    shown = [p for p in points if p.measured >= MIN_COHORT]
    art = benchmark("art")
    series = [Series("natural course (Costa 2012, change from 51)", NATURAL_COURSE_CHANGE)]
    series += [Series(f"ART {arm}", ((0, 0.0), (art.weeks, value))) for arm, value in art.arms]
    if shown:
        series.append(Series("change observed in this clinic (NRS × 10)",
                             ((0, 0.0), *((p.weeks, p.mean_change) for p in shown)), "clinic"))
    svg = comparison_svg(title="Mean pain change from baseline (0–100)", series=series,
                         x_label="weeks since baseline", y_label="change (0–100)")
    return {"svg": svg, "points": points, "series": series}
