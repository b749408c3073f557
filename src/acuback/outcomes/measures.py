"""Keeps ``EpisodeMeasure`` rows equal to ``clinical.episode_measures.summarise`` of each
episode's current scores. Takes the model classes as arguments so the data migration
uses the same code with its historical models."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

from acuback.clinical import responders
from acuback.clinical.episode_measures import (
    RESPONDER_FIELDS,
    RULE_VERSION,
    Score,
    Summary,
    responder_flags,
    summarise,
)

FIELDS = tuple(Summary.__dataclass_fields__)
STORED = (*FIELDS, *RESPONDER_FIELDS, "responder_rule_version")
CHUNK = 5000


def _current(Response):  # noqa: N803 - a model class
    # The same rule as ResponseQuerySet.current(), spelled out for historical models.
    return Response.objects.filter(status="submitted", corrections__isnull=True,
                                   total__isnull=False)


def _by_episode_and_instrument(responses) -> Iterable:
    """((episode id, instrument), its scores in recorded order), streamed in one query."""
    stream = (responses.order_by("episode_id", "instrument", "submitted_at", "pk")
              .values_list("episode_id", "instrument", "time_point", "total", "submitted_at")
              .iterator(chunk_size=CHUNK))
    return groupby(stream, key=lambda r: (r[0], r[1]))


def _rows(Measure, pairs: Iterable) -> Iterable:  # noqa: N803
    # A data migration's historical model may predate some of the stored fields.
    known = {f.name for f in Measure._meta.concrete_fields}
    for (episode_id, instrument), scores in pairs:
        summary = summarise(Score(tp, total, at) for _, _, tp, total, at in scores)
        values = {f: getattr(summary, f) for f in FIELDS}
        values |= responder_flags(instrument, summary)
        values["responder_rule_version"] = responders.RULE_VERSION
        yield Measure(episode_id=episode_id, instrument=instrument, rule_version=RULE_VERSION,
                      **{f: v for f, v in values.items() if f in known})


def rebuild(Response, Measure, *, episode_ids=None) -> int:  # noqa: N803
    """Recompute every measure (or those of ``episode_ids``) in one pass over the
    responses; returns the number of rows written."""
    responses = _current(Response)
    measures = Measure.objects.all()
    if episode_ids is not None:
        responses = responses.filter(episode_id__in=episode_ids)
        measures = measures.filter(episode_id__in=episode_ids)
    measures.delete()
    written, batch = 0, []
    for row in _rows(Measure, _by_episode_and_instrument(responses)):
        batch.append(row)
        if len(batch) >= CHUNK:
            Measure.objects.bulk_create(batch)
            written, batch = written + len(batch), []
    Measure.objects.bulk_create(batch)
    return written + len(batch)


def refresh(*, episode_id: int, instrument: str) -> None:
    """After a response of the episode is submitted or corrected (same transaction)."""
    from acuback import sql

    from .models import EpisodeMeasure, QuestionnaireResponse, current_sql

    # Written out (acuback.sql; the ORM spent 0.9 ms building these two statements in
    # every submission): the _current() rule.
    responses = sql.fetch(
        QuestionnaireResponse, "t0.episode_id = %s AND t0.instrument = %s AND "
        f"t0.total IS NOT NULL AND {current_sql('t0')}", [episode_id, instrument],
        only=("episode_id", "instrument", "time_point", "total", "submitted_at"),
        tail="ORDER BY t0.submitted_at, t0.id")
    scores = [(r.episode_id, r.instrument, r.time_point, r.total, r.submitted_at)
              for r in responses]
    row = next(_rows(EpisodeMeasure, [((episode_id, instrument), scores)]))
    if all(getattr(row, f) is None for f in FIELDS):
        # nothing scored is left (derived data, not a clinical record)
        EpisodeMeasure.objects.filter(episode_id=episode_id, instrument=instrument).delete()
        return
    # One INSERT … ON CONFLICT UPDATE (update_or_create took a savepoint, a read and a
    # write: four round trips in every questionnaire submission).
    sql.insert(EpisodeMeasure, [row], update_conflicts=("episode", "instrument"))


def stale(Response, Measure) -> list[tuple[int, str]]:  # noqa: N803
    """(episode, instrument) pairs whose stored row differs from a recomputation."""
    stored = {(m.episode_id, m.instrument): tuple(getattr(m, f) for f in STORED)
              for m in Measure.objects.iterator(chunk_size=CHUNK)}
    wrong = []
    for row in _rows(Measure, _by_episode_and_instrument(_current(Response))):
        key = (row.episode_id, row.instrument)
        if stored.pop(key, None) != tuple(getattr(row, f) for f in STORED):
            wrong.append(key)
    return sorted(wrong + list(stored))
