"""Every CSV file the system writes goes through here, so that no cell runs as a formula
when a clinic opens the file in a spreadsheet (CSV or formula injection, OWASP).

A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written
with a leading apostrophe: spreadsheets show it as text and run nothing. Numbers stay
numbers: an int, float or Decimal value, and a text cell that is nothing but a plain
decimal number (`-12.50`, a negative charge), are written unchanged; no spreadsheet runs
a plain number (docs/decisions/0103-csv-cells-never-run-as-formulas.md).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """`value` as a spreadsheet will not run it."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """csv.writer whose every cell has passed safe_cell."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **options) -> SafeWriter:
    return SafeWriter(stream, **options)
