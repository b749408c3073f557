"""Issue #28 §9: the focus ring has at least 3:1 contrast (WCAG 2.2, 1.4.11 non-text
contrast) against the page, the cards and the header it can sit on."""

from __future__ import annotations

import re
from pathlib import Path

import acuback

CSS = (Path(acuback.__file__).parent / "web/static/acuback/site.css").read_text()


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _resolve(value: str) -> str:
    var = re.fullmatch(r"var\((--[\w-]+)\)", value)
    if var:
        value = re.search(rf"{var.group(1)}:\s*(#[0-9a-fA-F]{{3,6}})\b", CSS).group(1)
    if len(value) == 4:  # #fff
        value = "#" + "".join(c * 2 for c in value[1:])
    return value


def focus_colour() -> str:
    rule = re.search(r"[^{}]*:focus[^{}]*\{([^}]*outline:[^}]*)\}", CSS).group(1)
    return _resolve(re.search(r"outline:\s*\S+\s+solid\s+([^;\s]+)", rule).group(1))


def test_the_contrast_formula():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48


def test_the_focus_ring_stands_out_from_every_background_it_sits_on():
    ring = focus_colour()
    for background in ("#ffffff", _resolve("var(--bg)"), _resolve("var(--card)")):
        assert contrast(ring, background) >= 3, (ring, background)


def test_on_the_dark_header_a_white_halo_carries_the_ring():
    header = re.search(r"\.top \{[^}]*background:\s*(#[0-9a-fA-F]{6})", CSS).group(1)
    assert contrast("#ffffff", header) >= 3
    assert re.search(r":focus-visible \{[^}]*box-shadow:\s*0 0 0 \d+px #fff", CSS)
