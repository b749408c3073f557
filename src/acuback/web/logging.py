"""Keep patient data out of the application log.

Log records keep their shape (logger, level, path, exception type and where it was
raised), but the message and the exception text are scrubbed of what could identify a
patient: e-mail addresses, phone numbers, dates (such as a date of birth), the values
PostgreSQL and SQLite quote in constraint errors, and quoted strings in exception
messages (where names usually appear). Tracebacks still show the code path.
"""

from __future__ import annotations

import logging
import re

PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "[date]"),
    (re.compile(r"\+?\d[\d ()\-.]{7,}\d"), "[number]"),
    (re.compile(r"\)=\([^)]*\)"), ")=([value])"),  # PostgreSQL: Key (mrn)=(123456)
    (re.compile(r"'[^'\n]{1,200}'"), "'[text]'"),
    (re.compile(r'"[^"\n]{1,200}"'), '"[text]"'),
]


def scrub(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactPatientData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = ()
        if record.exc_info and record.exc_info[1] is not None:
            exc_type, exc, tb = record.exc_info
            try:
                scrubbed = exc_type(scrub(str(exc)))
            except Exception:  # an exception class that needs other arguments
                scrubbed = RuntimeError(f"{exc_type.__name__}: {scrub(str(exc))}")
            record.exc_info = (type(scrubbed), scrubbed, tb)
            record.exc_text = None
        return True
