"""A page title is text: no template puts markup (or a page section) in its title block."""

from __future__ import annotations

import re
from pathlib import Path

import acuback

TITLE = re.compile(r"{%\s*block title\s*%}(.*?){%\s*endblock", re.S)


def test_no_title_block_holds_markup():
    offenders = []
    for path in Path(acuback.__file__).parent.rglob("templates/**/*.html"):
        for title in TITLE.findall(path.read_text(encoding="utf-8")):
            if "<" in title:
                offenders.append(f"{path.name}: {title[:60]!r}")
    assert offenders == []
