"""The user guide shows each journey with a screenshot (issues #26 and #28, "done
when"): every shot `make screenshots` takes is in the guide, and every picture the guide
shows exists."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "user-guide.md"


def _shots() -> list[str]:
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" /
                                                  "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [name for name, *_ in module.SHOTS]


def test_every_picture_in_the_guide_exists_and_every_shot_is_shown():
    shown = re.findall(r"!\[[^\]]+\]\(screenshots/([^)]+)\.jpg\)", GUIDE.read_text())
    on_disk = {p.stem for p in (ROOT / "docs" / "screenshots").glob("*.jpg")}
    assert set(shown) <= on_disk
    assert set(_shots()) == set(shown) == on_disk


def test_each_role_of_the_guide_has_a_screenshot():
    sections = re.split(r"^## ", GUIDE.read_text(), flags=re.MULTILINE)[1:]
    for role in ("Logging in", "Front desk", "Practitioner", "Calendar", "Clinic admin",
                 "Patient"):
        [section] = [s for s in sections if s.startswith(role)]
        assert "](screenshots/" in section, role
