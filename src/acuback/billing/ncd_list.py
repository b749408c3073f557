"""The CMS NCD 30.3.3 diagnosis list, read from the file CMS publishes (issue #29 §1):
loaded onto a Medicare payer, never typed (docs/billing.md).

CMS publishes the covered ICD-10-CM codes of each NCD as a spreadsheet with its coding
change requests. A clinic admin uploads that file (Excel, or saved as CSV or text); a
cell that holds one code and nothing else is a code of the list, any other cell
(titles, descriptions, dates) is ignored. Each code is checked against the shipped
ICD-10-CM release: the billable ones are loaded, the rest are listed with the reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from acuback.clinical import diagnoses

MAX_BYTES = 5 * 1024 * 1024
# A cell that is one ICD-10-CM code, with or without its dot (M54.50, M5450, G89.29).
_CODE_CELL = re.compile(r"^[A-TV-Z][0-9][0-9AB](?:\.?[0-9A-TV-Z]{1,4})?$")
_XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class ListRead:
    filename: str
    sha256: str
    codes: list[str] = field(default_factory=list)  # billable, normalised, sorted
    refused: list[str] = field(default_factory=list)  # one message per code left out


def _cells_of_spreadsheet(data: bytes) -> Iterator[str]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ValidationError({"file": "The spreadsheet could not be read: save it again "
                                       "from the CMS download, or as CSV."}) from error
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            yield from (str(value) for value in row if value is not None)


def _cells_of_text(data: bytes) -> Iterator[str]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    for row in csv.reader(io.StringIO(text)):
        yield from row


def read(filename: str, data: bytes) -> ListRead:
    """The list in an uploaded CMS file; refuses a file with no code in it."""
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": "The file is larger than 5 MB: is it the NCD "
                                       "30.3.3 list?"})
    cells = (_cells_of_spreadsheet(data) if data.startswith(_XLSX_MAGIC)
             else _cells_of_text(data))
    found = {diagnoses.normalise(cell) for cell in cells
             if _CODE_CELL.match(cell.strip().upper())}
    if not found:
        raise ValidationError({"file": "No ICD-10-CM code was found in this file: upload "
                                       "the CMS spreadsheet (or a CSV with one code per "
                                       "cell)."})
    result = ListRead(filename=filename, sha256=hashlib.sha256(data).hexdigest())
    for code in sorted(found):
        problem = diagnoses.check(code)
        if problem:
            result.refused.append(problem)
        else:
            result.codes.append(code)
    return result
