"""A rule lives in one place: a second copy of it outside its home fails here.

Each entry names the rule, its home, and the text a copy of it would need. A new use of the
rule calls the home instead (see docs/decisions/0142-one-home-per-rule.md)."""

from __future__ import annotations

import re
from pathlib import Path

import acuback

SRC = Path(acuback.__file__).parent

# (rule, its homes relative to src/acuback, a pattern only a copy of the rule would contain)
RULES = [
    ("responder status (MCID arithmetic)", ("clinical/",),
     re.compile(r"\bmcid\.(absolute|percent)\b|\bRESPONDER_PERCENT\b"
                r"|F\(\s*[\"']baseline[\"']\s*\)\s*[*/]")),
    ("responder status (a threshold written into a page)", ("clinical/",),
     re.compile(r"(≥|&ge;|at least)\s*30\s*%\s*(improvement|better)", re.IGNORECASE)),
    ("the pain and function instrument groups (responders.PAIN, FUNCTION)", ("clinical/",),
     re.compile(r"[\"']nrs[\"'],\s*[\"']peg[\"']|\bNRS, PEG\b")),
    ("weeks since onset and chronicity (clinical.episodes)", ("clinical/",),
     re.compile(r"\.days\s*/\s*7\b|\bweeks=12\b")),
    # the pure rule, and its one SQL form (Credential.objects.valid_for_needling)
    ("licence clearance (a credential's dates)", ("clinical/", "accounts/models.py"),
     re.compile(r"\b(issued_on|expires_on)__(lte?|gte?)\b")),
]

# Places that read a rule's numbers without deciding by them: publishing the catalogue.
ALLOWED = {
    "web/api.py": "the instrument catalogue publishes each MCID as data",
}


def _sources():
    for path in sorted(SRC.rglob("*")):
        if path.suffix in {".py", ".html", ".txt"} and "migrations" not in path.parts:
            yield path.relative_to(SRC).as_posix(), path.read_text(encoding="utf-8")


def test_no_rule_is_written_a_second_time_outside_its_home():
    copies = []
    for rule, homes, pattern in RULES:
        for name, text in _sources():
            if name.startswith(homes) or name in ALLOWED:
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if pattern.search(line):
                    copies.append(f"{name}:{number}: {rule} belongs in {homes}: {line.strip()}")
    assert copies == []


def test_the_guard_recognises_a_copy():
    # The patterns must keep matching the copies this guard was written against.
    responder = RULES[0][2]
    assert responder.search('threshold = inst.mcid.absolute if inst.mcid else None')
    assert responder.search('F("baseline") * Value(1 - RESPONDER_PERCENT / 100)')
    assert RULES[1][2].search("<h2>Responders (≥ 30 % improvement from baseline)</h2>")
    assert not responder.search('F(later) - F("baseline")')
    assert RULES[2][2].search('for s in state.series if s.instrument_id in ("nrs", "peg", "odi"')
    assert RULES[2][2].search("(pain: NRS, PEG; function: ODI, RMDQ, PSFS)")
    assert RULES[3][2].search('"back_pain_duration_weeks": round((on - onset).days / 7, 1)')
    assert RULES[3][2].search('Q(onset_date__lte=F("opened_on") - timedelta(weeks=12))')
    assert RULES[4][2].search('Q(expires_on__gte=OuterRef("session_date"))')


def test_insights_and_outcomes_ask_the_clinic_for_today():
    """"Today" there is the clinic's (accounts.zones.today_at), not the active zone's."""
    found = [f"{name}:{number}" for name, text in _sources()
             if name.startswith(("insights/", "outcomes/"))
             for number, line in enumerate(text.splitlines(), 1)
             if "timezone.localdate()" in line]
    assert found == []
