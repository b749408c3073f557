"""Application log lines: timestamp, level, logger and request id, as text or JSON; the
scrubbing filter keeps UUIDs, hosts and paths and still hides patient data."""

from __future__ import annotations

import io
import json
import logging
import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acuback.web.logging import scrub

# --- the scrubber: what it keeps ------------------------------------------------------------

segment = st.from_regex(r"[a-z0-9_][a-z0-9_.-]{0,11}", fullmatch=True)
paths = st.lists(segment, min_size=1, max_size=5).map(lambda parts: "/" + "/".join(parts))
labels = st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True)
hosts = st.builds(lambda parts, tld: ".".join([*parts, tld]),
                  st.lists(labels, min_size=1, max_size=3),
                  st.sampled_from(["internal", "org", "example", "net", "local"]))
octet = st.integers(0, 255).map(str)
addresses = st.builds(lambda a, b, c, d, port: f"{a}.{b}.{c}.{d}" + (f":{port}" if port else ""),
                      octet, octet, octet, octet, st.one_of(st.none(), st.integers(1, 65535)))
safe = st.one_of(st.uuids().map(str), paths, hosts, addresses)


@given(token=safe, quote=st.sampled_from(["", "'", '"']))
def test_the_scrubber_keeps_uuids_hosts_addresses_and_paths(token, quote):
    text = f"failed for {quote}{token}{quote} after 3 tries"
    assert scrub(text) == text


def test_the_scrubber_keeps_what_an_operator_needs():
    for text in [
        'connection to server at "db.internal" (10.0.0.5), port 5432 failed',
        "[Errno 28] No space left on device: '/srv/acuback/charts/2026-12-07/ab12.svg'",
        "episode 3f2a1b4c-1234-5678-9abc-def012345678 has no baseline",
        "notification 12345 failed: SMTPServerDisconnected",
    ]:
        assert scrub(text) == text


# --- the scrubber: what it hides ------------------------------------------------------------

names = st.from_regex(r"[A-Z][a-z]{2,12}( [A-Z][a-z]{2,12})?", fullmatch=True)
emails = st.builds(lambda user, host: f"{user}@{host}",
                   st.from_regex(r"[a-z][a-z0-9._+-]{0,15}[a-z0-9]", fullmatch=True), hosts)
phones = st.from_regex(r"\+?[1-9]\d{0,2}[ .-]?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}",
                       fullmatch=True)
birthdays = st.dates(date(1900, 1, 1), date(2026, 1, 1))


@given(name=names, email=emails, phone=phones, born=birthdays)
def test_the_scrubber_still_hides_patient_data(name, email, phone, born):
    text = (f"no match for '{name}' <{email}> tel {phone} born {born.isoformat()} "
            f"or {born:%m/%d/%Y}; GET /patients/?q={name.replace(' ', '+')}&dob={born:%d/%m/%Y}")
    out = scrub(text)
    for secret in (name.replace(" ", "+"), email, phone, born.isoformat(), f"{born:%m/%d/%Y}",
                   f"{born:%d/%m/%Y}"):
        assert secret not in out, (secret, out)
    assert "/patients/" in out


# --- the line -------------------------------------------------------------------------------

def _configured_line(settings_module_format: str, record_message: str, *, request_id=None):
    from acuback.web import logging as app_logging

    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(app_logging.formatter(settings_module_format))
    handler.addFilter(app_logging.RequestId())
    handler.addFilter(app_logging.RedactPatientData())
    logger = logging.getLogger("acuback.test")
    logger.addHandler(handler)
    logger.propagate = False
    token = app_logging.current_request_id.set(request_id) if request_id else None
    try:
        logger.warning(record_message)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        if token:
            app_logging.current_request_id.reset(token)
    return handler.stream.getvalue()


def test_a_text_line_has_time_level_logger_and_request_id():
    line = _configured_line("text", "mail server down", request_id="r-1234")
    # 2026-12-07T06:01:02.123+0000 WARNING acuback.test [r-1234] mail server down
    stamp, level, name, rid, message = line.strip().split(" ", 4)
    assert stamp[:4].isdigit() and "T" in stamp
    assert (level, name, rid, message) == ("WARNING", "acuback.test", "[r-1234]",
                                            "mail server down")


def test_a_json_line_has_the_same_fields_scrubbed():
    record = json.loads(_configured_line("json", "no match for 'Okonkwo'", request_id="r-9"))
    assert record["level"] == "WARNING" and record["logger"] == "acuback.test"
    assert record["request_id"] == "r-9" and "time" in record
    assert record["message"] == "no match for '[text]'"


def test_outside_a_request_the_request_id_is_a_dash():
    assert " [-] " in _configured_line("text", "tick")


def test_the_settings_choose_the_format(monkeypatch, tmp_path):
    import subprocess
    import sys

    code = ("import django, logging; django.setup(); "
            "logging.getLogger('acuback.x').warning('hello')")
    env = {"PATH": "/usr/bin:/bin", "ACUBACK_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "acuback.settings", "ACUBACK_LOG_FORMAT": "json"}
    err = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,  # noqa: S603
                         text=True, timeout=60, check=True).stderr
    assert json.loads(err.strip().splitlines()[-1])["message"] == "hello"


@pytest.mark.django_db
def test_each_request_has_an_id_in_its_log_lines_and_its_response(client, caplog):
    response = client.get("/login/")
    rid = response["X-Request-ID"]
    assert uuid.UUID(rid)
    passed = client.get("/login/", HTTP_X_REQUEST_ID="lb-42.abc")
    assert passed["X-Request-ID"] == "lb-42.abc"  # a load balancer's id is kept
    forged = client.get("/login/", HTTP_X_REQUEST_ID="x\nWARNING forged line")
    assert "\n" not in forged["X-Request-ID"]


@pytest.mark.django_db
def test_a_request_log_line_carries_its_id(client):
    handler = logging.getLogger("django").handlers[0]
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        client.get("/no-such-page/?q=Okonkwo", HTTP_X_REQUEST_ID="lb-7")
    finally:
        handler.setStream(old)
    line = stream.getvalue()
    assert " WARNING django.request [lb-7] Not Found: /no-such-page/" in line, line
    assert "Okonkwo" not in line


def test_a_request_failed_by_a_database_outage_is_one_warning_line_not_a_traceback():
    """Operator drill (issue #31): a one-minute outage wrote 1.4 MB of tracebacks."""
    from django.db import OperationalError

    from acuback.web.logging import DatabaseDownOneLine

    def record(exc: Exception, name: str = "django.request") -> logging.LogRecord:
        try:
            raise exc
        except Exception:
            import sys

            return logging.LogRecord(name, logging.ERROR, __file__, 1,
                                     "Internal Server Error: %s", ("/login/",),
                                     sys.exc_info())

    down = record(OperationalError("connection refused\n\tIs the server running?"))
    assert DatabaseDownOneLine().filter(down)
    assert down.levelname == "WARNING" and down.exc_info is None
    assert down.getMessage() == ("database unavailable (OperationalError: connection "
                                 "refused); answered 503: Internal Server Error: /login/")
    bug = record(ValueError("a real bug"))
    assert DatabaseDownOneLine().filter(bug)
    assert bug.levelname == "ERROR" and bug.exc_info is not None
    elsewhere = record(OperationalError("down"), name="acuback.web.worker")
    DatabaseDownOneLine().filter(elsewhere)
    assert elsewhere.exc_info is not None
