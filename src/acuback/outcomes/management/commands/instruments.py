"""`acuback instruments load-text FILE`: load a clinic's licensed questionnaire wording.

The JSON format is in docs/outcomes.md. `acuback instruments list` shows each
instrument, whether its wording may ship, and which clinics loaded their own.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from acuback.accounts.models import Clinic
from acuback.clinical import instruments
from acuback.outcomes.models import InstrumentText
from acuback.outcomes.services import text_load


class Command(BaseCommand):
    help = "Questionnaire wording: load a clinic's licensed text, or list what is in use."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load-text", help="Load licensed wording from a JSON file.")
        load.add_argument("file", type=Path)
        sub.add_parser("list", help="List instruments and the wording in use.")

    def handle(self, *args, action: str, **options):
        if action == "list":
            loaded = {}
            for text in InstrumentText.objects.select_related("clinic"):
                loaded.setdefault(text.instrument, []).append(text.clinic.slug)
            for inst in instruments.all_instruments():
                wording = "full wording ships" if inst.ship_text else "paraphrase ships"
                clinics = ", ".join(loaded.get(inst.id, [])) or "none"
                self.stdout.write(f"{inst.id:<10} {wording:<18} licensed text loaded by: "
                                  f"{clinics}")
            return
        path: Path = options["file"]
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"No such file: {path}") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise CommandError("The file must hold one JSON object (see docs/outcomes.md).")
        clinic = Clinic.objects.filter(slug=data.get("clinic", "")).first()
        if clinic is None:
            raise CommandError(f"Unknown clinic {data.get('clinic')!r}: give the clinic's slug.")
        try:
            text = text_load(clinic=clinic, data=data)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Loaded {text.instrument} wording ({len(text.items)} items) for {clinic.name}. "
            "Forms now show it."))
