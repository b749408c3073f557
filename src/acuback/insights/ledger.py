"""The claims ledger: what patient-facing material claims, what the clinic measures for it,
the clinic's figure, and an honest caveat (docs/reference/instruments.md §13)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, Exists, F, OuterRef, Q

from acuback.accounts.models import Credential
from acuback.clinical import instruments, responders
from acuback.outcomes.models import EpisodeMeasure
from acuback.treatment.models import Session


@dataclass(frozen=True)
class Figure:
    instrument: str
    n: int
    mean_change: float | None
    responders: int | None  # None when the instrument has no MCID or threshold

    @property
    def name(self) -> str:
        return instruments.get(self.instrument).name

    @property
    def responder_wording(self) -> str | None:
        return responders.responder_wording(self.instrument)

    @property
    def responder_share(self) -> float | None:
        if self.responders is None or not self.n:
            return None
        return 100 * self.responders / self.n


@dataclass(frozen=True)
class Claim:
    claim: str
    measure: str
    caveat: str
    instruments: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    other: str = ""


CLAIMS = (
    Claim("Reduces inflammation", "No routine clinical measure.",
          "The clinic records no inflammatory marker; suspected inflammatory back pain is a "
          "referral trigger, not an outcome."),
    Claim("Promotes relaxation", "Anxiety symptoms: GAD-2 / GAD-7 (PSS-4 is not collected).",
          "No validated single-item relaxation measure exists; feeling relaxed after a session "
          "(79 % in a large survey) is a short-term reaction, not a lasting effect.",
          ("gad2", "gad7")),
    Claim("Stimulates blood flow", "No routine clinical measure.",
          "It needs laboratory physiology; the clinic cannot observe it and does not show it "
          "as a result."),
    Claim("Releases endorphins and improves mood", "Mood: PHQ-2 / PHQ-9. Endorphins: no "
          "routine clinical measure.",
          "A PHQ change documents depressive symptoms only, not a mechanism; part of any "
          "change is the natural course.", ("phq2", "phq9")),
    Claim("Improves range of motion", "Modified Schober; fingertip-to-floor distance.",
          "Impairment measures with no MCID and large measurement error; function (ODI, "
          "RMDQ, PSFS) matters more to patients.", ("schober", "ffd")),
    Claim("Complements other treatments", "Co-interventions recorded per session (adjuncts), "
          "with the usual outcomes.",
          "Observational clinic data cannot separate acupuncture's added effect from the other "
          "treatments; trial evidence for add-on benefit is context, not a clinic result.",
          ("nrs", "odi")),
    Claim("Safe when done by a licensed practitioner", "Adverse events per session and per "
          "patient; the practitioner's licence valid on the session date.",
          "Serious events are rare (about 1 per 10,000 patients in pooled surveys), so one "
          "clinic's data cannot demonstrate safety; a licence shows qualification, not an "
          "outcome."),
)


def figure(episodes, instrument_id: str) -> Figure:
    """Baseline to the latest later score, per episode (the stored measure), responders by
    the stored flag of the one rule (clinical.responders); one aggregate query."""
    rows = EpisodeMeasure.objects.filter(episode__in=episodes, instrument=instrument_id,
                                         baseline__isnull=False, latest__isnull=False)
    aggregates = {"n": Count("pk"), "mean": Avg(F("latest") - F("baseline"))}
    if instruments.get(instrument_id).mcid is not None:
        aggregates["r"] = Count("pk", filter=Q(responder_latest=True))
    row = rows.aggregate(**aggregates)
    return Figure(instrument_id, row["n"],
                  None if row["mean"] is None else round(row["mean"], 1), row.get("r"))


def session_facts(episodes) -> dict:
    """Signed sessions, those recording an adjunct therapy, and those whose practitioner held
    an active licence for the location's jurisdiction on the session date; one query."""
    licensed = Credential.objects.filter(practitioner=OuterRef("practitioner")) \
        .valid_for_needling(jurisdiction=OuterRef("location__jurisdiction"),
                            on=OuterRef("session_date"))
    return (Session.objects.filter(episode__in=episodes, status="signed")
            .aggregate(total=Count("pk"),
                       with_adjunct=Count("pk", filter=~Q(adjuncts=[])),
                       licensed=Count("pk", filter=Exists(licensed))))


def ledger(episodes, *, ae_rates) -> list[Claim]:
    facts = session_facts(episodes)
    known = [r.per_1000_sessions for r in ae_rates if r.per_1000_sessions is not None]
    result = []
    for claim in CLAIMS:
        figures = tuple(figure(episodes, i) for i in claim.instruments)
        other = ""
        if claim.claim.startswith("Safe") and facts["total"]:
            other = (f"{sum(known):.1f} adverse events per 1,000 signed sessions; "
                     f"{facts['licensed']} of {facts['total']} signed sessions by a "
                     f"practitioner with an active licence for the location on that date")
        elif claim.claim.startswith("Complements") and facts["total"]:
            other = (f"{100 * facts['with_adjunct'] / facts['total']:.0f} % of "
                     f"{facts['total']} signed sessions recorded an adjunct therapy")
        result.append(Claim(claim.claim, claim.measure, claim.caveat, claim.instruments,
                            figures, other))
    return result
