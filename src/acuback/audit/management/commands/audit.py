"""`acuback audit verify`: check the audit log's hash chain."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from acuback.audit import chain
from acuback.audit.models import AuditEvent


class Command(BaseCommand):
    help = "Audit log tools. 'verify' checks that no event was changed, removed or inserted."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="walk the hash chain and report any break")
        verify.add_argument("--expect-head", default="",
                            help="the head hash recorded earlier: also detects events cut "
                                 "off the end since then")

    def handle(self, *args, action: str, expect_head: str = "", **options):
        verdict = chain.verify(chain.in_order(AuditEvent.objects.all()))
        for problem in verdict.problems:
            self.stderr.write(problem.message)
        if expect_head and not AuditEvent.objects.filter(hash=expect_head).exists():
            verdict.problems.append(chain.Problem(0, "cut", "the recorded head is no longer "
                                                            "in the log: events were removed"))
            self.stderr.write(verdict.problems[-1].message)
        if not verdict.ok:
            raise CommandError(f"audit log NOT intact: {len(verdict.problems)} problem(s) in "
                               f"{verdict.checked} events")
        self.stdout.write(f"audit log intact: {verdict.checked} events; head {verdict.head} "
                          "(write it down elsewhere to detect later removal of the newest "
                          "events: --expect-head)")
