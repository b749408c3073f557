"""`acuback setup`: create a clinic, its locations, its first clinic admin and its starting
content. Interactive, or from flags, or from a TOML or JSON file (docs/deployment.md)."""

from __future__ import annotations

import getpass
import json
import os
import tomllib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from acuback.web.setup import SetupError, clinic_setup

PASSWORD_ENV = "ACUBACK_SETUP_ADMIN_PASSWORD"  # noqa: S105 - a variable name  # nosec B105


class Command(BaseCommand):
    help = ("Create a clinic, its locations, its first clinic admin and its starting content. "
            "With --file, or with the flags, nothing is asked.")

    def add_arguments(self, parser):
        parser.add_argument("--file", help="A TOML (.toml) or JSON file describing the clinic.")
        parser.add_argument("--clinic-name")
        parser.add_argument("--slug", help="Short name used in the online booking address.")
        parser.add_argument("--time-zone", help="e.g. America/Chicago")
        parser.add_argument("--location", action="append", default=[],
                            metavar="NAME|ADDRESS|CITY|REGION|JURISDICTION[|TIME_ZONE]",
                            help="A location (repeat for more); jurisdiction e.g. US-IL.")
        parser.add_argument("--admin-username")
        parser.add_argument("--admin-email")
        parser.add_argument("--consent", action="append", default=[], metavar="KIND=FILE",
                            help="A consent form's text, e.g. treatment=consent.txt "
                                 "(its first line is the title).")
        parser.add_argument("--fee", action="append", default=[], metavar="CODE=AMOUNT")
        parser.add_argument("--no-input", action="store_true",
                            help="Never ask: fail if something is missing.")

    def handle(self, *args, **options):
        if options["file"]:
            spec = _read_file(Path(options["file"]))
        elif options["clinic_name"] or options["no_input"]:
            spec = _from_flags(options)
        else:
            spec = self._ask()
        password = os.environ.get(PASSWORD_ENV) or None
        if password is None and not options["no_input"] and not options["file"] \
                and os.isatty(0):
            password = _ask_password() or None
        try:
            result = clinic_setup(spec, admin_password=password)
        except SetupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Clinic '{result.clinic.name}' is set up with {result.clinic.locations.count()} "
            f"location(s); its clinic admin is '{result.admin.username}'."))
        if result.password_link:
            self.stdout.write(f"The admin chooses a password at (sent to nobody: pass it on):\n"
                              f"  {result.password_link}")
        else:
            self.stdout.write("The admin logs in with the password given, then chooses their "
                              "own.")
        self.stdout.write("At the first log-in they set up two-factor; everything else is done "
                          "in the application under Clinic admin.")
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(warning))

    def _ask(self) -> dict:
        ask = _Asker(self.stdout)
        time_zone = ask("Time zone of the clinic (e.g. America/Chicago)")
        spec = {
            "clinic": {"name": ask("Clinic name"), "slug": ask("Short name (letters, digits, -)"),
                       "time_zone": time_zone},
            "locations": [],
            "admin": {"username": ask("First clinic admin: username"),
                      "email": ask("First clinic admin: e-mail")},
        }
        while True:
            spec["locations"].append({
                "name": ask("Location name"), "address_line1": ask("  address"),
                "city": ask("  city"), "region": ask("  state / region", required=False),
                "jurisdiction": ask("  licensing jurisdiction (e.g. US-IL)"),
                "time_zone": ask("  time zone", default=time_zone)})
            if ask("Another location? (y/N)", required=False).lower() not in ("y", "yes"):
                break
        consents = []
        for kind in ("treatment", "electroacupuncture", "data_sharing", "research"):
            path = ask(f"File with your {kind.replace('_', ' ')} consent text (blank: none)",
                       required=False)
            if path:
                consents.append(f"{kind}={path}")
        spec["consent_forms"] = _consents(consents)
        return spec


class _Asker:
    def __init__(self, out):
        self.out = out

    def __call__(self, question: str, *, required: bool = True, default: str = "") -> str:
        while True:
            suffix = f" [{default}]" if default else ""
            answer = input(f"{question}{suffix}: ").strip() or default
            if answer or not required:
                return answer
            self.out.write("  (required)")


def _ask_password() -> str:
    while True:
        first = getpass.getpass("The admin's first password (blank: send them a link "
                                "instead): ")
        if not first or first == getpass.getpass("Again: "):
            return first
        print("The two do not match.")


def _read_file(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
        spec = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as error:
        raise CommandError(f"{path}: {error}") from None
    base = path.parent
    for form in spec.get("consent_forms") or []:
        if "body_file" in form:  # a path relative to the description file
            try:
                form["body"] = (base / form.pop("body_file")).read_text(encoding="utf-8")
            except OSError as error:
                raise CommandError(f"consent_forms: {error}") from None
    return spec


def _from_flags(options) -> dict:
    locations = []
    for n, text in enumerate(options["location"], 1):
        parts = [p.strip() for p in text.split("|")]
        if len(parts) not in (5, 6):
            raise CommandError(f"--location {n}: give NAME|ADDRESS|CITY|REGION|JURISDICTION"
                               "[|TIME_ZONE].")
        loc = dict(zip(("name", "address_line1", "city", "region", "jurisdiction"), parts,
                       strict=False))
        if len(parts) == 6:
            loc["time_zone"] = parts[5]
        locations.append(loc)
    fees = {}
    for text in options["fee"]:
        code, _, amount = text.partition("=")
        fees[code] = amount
    return {
        "clinic": {"name": options["clinic_name"], "slug": options["slug"],
                   "time_zone": options["time_zone"]},
        "locations": locations,
        "admin": {"username": options["admin_username"], "email": options["admin_email"]},
        "consent_forms": _consents(options["consent"]),
        "fees": fees,
    }


def _consents(items: list[str]) -> list[dict]:
    forms = []
    for item in items:
        kind, _, path = item.partition("=")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"--consent {kind}: {error}") from None
        title, _, body = text.strip().partition("\n")
        forms.append({"kind": kind.strip(), "title": title.strip(), "body": body.strip()})
    return forms
