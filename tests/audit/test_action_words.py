"""The audit log reads in words (issue #28 §4): every action key the code records has
its words; the clinic admin's page shows them, the CSV export keeps the key."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

import acuback
from acuback.audit.actions import ACTION_WORDS, PREFIX_WORDS, action_in_words
from acuback.audit.services import audit_record
from tests.factories import request_for

SRC = Path(acuback.__file__).parent
AUDIT_CALLS = {"audit_record", "audit_event", "audit_refusal", "audit_refusal_of",
               "_audit_refusal"}


def _string_assignments(tree: ast.AST) -> dict[str, set[str]]:
    """Name -> the string constants assigned to it anywhere in the module."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, set()).add(node.value.value)
    return found


def _recorded_actions():
    """(exact keys, f-string prefixes) passed as the action of an audit call in src/."""
    exact, prefixes, names = set(), set(), {}
    trees = {path: ast.parse(path.read_text()) for path in SRC.rglob("*.py")}
    for tree in trees.values():
        for name, values in _string_assignments(tree).items():
            names.setdefault(name, set()).update(values)

    def take(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            exact.add(node.value)
        elif isinstance(node, ast.JoinedStr):
            first = node.values[0]
            prefixes.add(first.value if isinstance(first, ast.Constant) else None)
        elif isinstance(node, ast.IfExp):
            take(node.body)
            take(node.orelse)
        elif isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name != "action":  # a parameter passed on; its callers are scanned
                exact.update(names.get(name, set()))

    for tree in trees.values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func.id if isinstance(node.func, ast.Name) else getattr(
                node.func, "attr", "")
            for keyword in node.keywords:
                # An audit call's action, or a dotted key handed to a service that
                # records it (clinic_row_save(action="clinic.settings")).
                if keyword.arg == "action" and (func in AUDIT_CALLS or _dotted(keyword.value)):
                    take(keyword.value)
            if func not in AUDIT_CALLS:
                continue
            if func != "audit_record" and len(node.args) > 1:
                take(node.args[1])
    exact |= {k for k in names.get("action", set()) if "." in k}
    # Keys kept in tables: the clinic admin's sections and the patient's lists.
    from acuback.clinicadmin.views import SECTIONS
    from acuback.screening.services import _LIST_ACTIONS

    exact |= {section[3] for section in SECTIONS.values()}
    exact |= {f"{name}.{change}" for name in _LIST_ACTIONS.values()
              for change in ("add", "stop", "entered_in_error")}
    prefixes.discard(None)  # f"{table[model]}.add": the table is read above
    return exact, prefixes


def _dotted(node) -> bool:
    values = [node.body, node.orelse] if isinstance(node, ast.IfExp) else [node]
    return all(isinstance(v, ast.Constant) and isinstance(v.value, str) and "." in v.value
               for v in values)


def test_every_action_the_code_records_has_its_words():
    exact, prefixes = _recorded_actions()
    assert len(exact) > 80  # the scan finds the calls
    assert sorted(exact - set(ACTION_WORDS)) == []
    assert sorted(p for p in prefixes if p not in PREFIX_WORDS) == []


@given(st.lists(st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12),
                min_size=1, max_size=4).map(".".join))
def test_any_key_reads_as_words_without_dots_or_underscores(key):
    words = action_in_words(key)
    assert "." not in words.split("(")[0] and "_" not in words and words.strip()


def test_the_audit_log_page_shows_words_and_the_csv_keeps_the_key(world, login):
    audit_record(request=request_for(world.practitioner), action="session.sign",
                 patient=world.patient)
    audit_record(request=request_for(world.practitioner), action="appointment.check_in",
                 patient=world.patient)
    client = login(world.admin)
    for key, words in (("session.sign", "Signed a session note"),
                       ("appointment.check_in", "Checked a patient in")):
        page = client.get(reverse("clinic_audit"), {"action": key}).content.decode()
        table = page[page.index("<tbody>"):page.index("</tbody>")]
        assert words in table and key not in table
    rows = list(csv.DictReader(io.StringIO(
        client.get(reverse("clinic_audit_csv")).content.decode())))
    assert {"session.sign", "appointment.check_in"} <= {r["action"] for r in rows}
