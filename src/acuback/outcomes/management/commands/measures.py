"""`acuback measures check`: compare the stored per-episode measures the dashboard
aggregates with a recomputation from the responses (exit 1 when any differ).
`acuback measures rebuild`: recompute them all (after a rule change bumps
``clinical.episode_measures.RULE_VERSION``, or when `check` finds a difference).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from acuback.clinical.episode_measures import RULE_VERSION
from acuback.outcomes import measures
from acuback.outcomes.models import EpisodeMeasure, QuestionnaireResponse


class Command(BaseCommand):
    help = "Check or rebuild the stored per-episode measures behind the outcome dashboard."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=("check", "rebuild"))

    def handle(self, *args, action: str, **options):
        if action == "rebuild":
            with transaction.atomic():
                written = measures.rebuild(QuestionnaireResponse, EpisodeMeasure)
            self.stdout.write(f"{written} episode measures written ({RULE_VERSION}).")
            return
        wrong = measures.stale(QuestionnaireResponse, EpisodeMeasure)
        old = EpisodeMeasure.objects.exclude(rule_version=RULE_VERSION).count()
        if wrong or old:
            for episode_id, instrument in wrong[:20]:
                self.stderr.write(f"episode {episode_id}, {instrument}: differs")
            raise CommandError(f"{len(wrong)} measures differ from the responses, {old} were "
                               f"made by an older rule; run `acuback measures rebuild`.")
        self.stdout.write(f"{EpisodeMeasure.objects.count()} episode measures match the "
                          f"responses ({RULE_VERSION}).")
