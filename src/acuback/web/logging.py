"""Application log lines: what they carry, and keeping patient data out of them.

Each line has a timestamp, the level, the logger and the request id (`[-]` outside a
request; `task-<id>` in the worker), as text or as one JSON object a line
(ACUBACK_LOG_FORMAT). The message and the exception text are scrubbed of what could
identify a patient: e-mail addresses, phone numbers, dates (a date of birth), query
string values (a search), the values PostgreSQL and SQLite quote in constraint errors,
and quoted strings in exception messages (where names usually appear). What an operator
needs to find a fault is kept: UUIDs, host names, IP addresses and ports, and file and
URL paths, bare or quoted. Tracebacks still show the code path.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar

from django.core.signals import request_finished

current_request_id: ContextVar[str] = ContextVar("acuback_request_id", default="-")

# What is kept as it is (also when it is all a quoted string holds).
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_ADDRESS = rf"{_OCTET}(?:\.{_OCTET}){{3}}(?::\d{{1,5}})?(?![\d.])"
_PATH = r"/(?:[\w.~%+-]+/?)*"  # stops at "?": the query is scrubbed on its own
_HOST = r"[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.[A-Za-z][A-Za-z0-9-]*"
SAFE = re.compile(rf"(?:{_UUID}|{_ADDRESS}|{_PATH}|{_HOST})")

# One pass, leftmost match first; at one place the first alternative that matches wins,
# so an e-mail address is hidden before its domain could pass as a host, and a UUID or
# an address is kept before its digits could pass as a phone number.
_TOKENS = re.compile(rf"""
    (?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
  | (?P<query>(?<=[?&;])[\w.-]+=)[^&;#\s'"]*
  | (?P<key>\)=\()[^)]*\)
  | (?P<quoted>'[^'\n]{{1,200}}'|"[^"\n]{{1,200}}")
  | (?P<safe>(?<![\w.@/-])(?:{_UUID}|{_ADDRESS})(?![\w-])
             |(?<![\w.@/:-]){_PATH}
             |(?<![\w.@-]){_HOST}(?![\w@-]))
  | (?P<date>\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}\b)
  | (?P<number>\+?\d[\d ()\-.]{{7,}}\d)
""", re.VERBOSE)


def _replace(match: re.Match) -> str:
    kind = match.lastgroup
    if kind == "email":
        return "[email]"
    if kind == "query":
        return match.group("query") + "[value]"
    if kind == "key":
        return ")=([value])"
    if kind == "quoted":
        text = match.group(0)
        inner = text[1:-1]
        return text if SAFE.fullmatch(inner) else f"{text[0]}[text]{text[0]}"
    if kind == "safe":
        return match.group(0)
    return f"[{kind}]"


def scrub(text: str) -> str:
    return _TOKENS.sub(_replace, text)


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


class DatabaseDownOneLine(logging.Filter):
    """A request that failed because the database is down or restarting (answered 503,
    acuback.web.errors) is one WARNING line naming the error, not an ERROR with a
    traceback: an outage of one minute wrote 1.4 MB of identical tracebacks per node
    (operator drill, issue #31). Every other error keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        from django.db import InterfaceError, OperationalError

        exc = record.exc_info[1] if record.exc_info else None
        if record.name == "django.request" and isinstance(exc, OperationalError |
                                                           InterfaceError):
            first_line = (str(exc).strip().splitlines() or [""])[0]
            record.msg = (f"database unavailable ({type(exc).__name__}: {first_line}); "
                          f"answered 503: {record.getMessage()}")
            record.args = ()
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class RequestId(logging.Filter):
    """Puts the current request's (or task's) id on the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
TIME = "%Y-%m-%dT%H:%M:%S"


class _Text(logging.Formatter):
    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's name
        # ISO 8601 with milliseconds and the offset, so lines from several hosts sort.
        stamp = super().formatTime(record, TIME)
        return f"{stamp}.{int(record.msecs):03d}{self._offset(record)}"

    @staticmethod
    def _offset(record) -> str:
        import time

        return time.strftime("%z", time.localtime(record.created))


class JsonFormatter(_Text):
    """One JSON object a line: time, level, logger, request_id, message (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record), "level": record.levelname,
                "logger": record.name, "request_id": getattr(record, "request_id", "-"),
                "message": record.getMessage()}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def formatter(kind: str) -> logging.Formatter:
    """ACUBACK_LOG_FORMAT: "text" (the default) or "json"."""
    if kind == "json":
        return JsonFormatter()
    if kind == "text":
        return _Text(TEXT, defaults={"request_id": "-"})
    raise ValueError(f"ACUBACK_LOG_FORMAT must be 'text' or 'json', not {kind!r}")


# An id a load balancer or proxy sent is kept when it looks like one (no line breaks or
# spaces that could forge a log line); otherwise a new one is made.
_INCOMING_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class RequestIdMiddleware:
    """Gives each request an id, for its log lines and its `X-Request-ID` response header
    (the id a user can quote, and the proxy's log can be matched on)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import uuid

        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _INCOMING_ID.fullmatch(incoming) else str(uuid.uuid4())
        # Kept until the response is finished: Django logs an error response after the
        # middleware has returned.
        current_request_id.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def _request_finished(**kwargs) -> None:
    current_request_id.set("-")


request_finished.connect(_request_finished, dispatch_uid="acuback-request-id")
