"""The web server's access log never carries a query string (where patient names, dates of
birth and e-mail addresses are searched for), in the request line or in the referrer."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from acuback.web.management.commands.serve import gunicorn_options

SEARCHES = ["q=Okonkwo", "q=07%2F04%2F1961", "q=margaret.okonkwo%40example.net",
            "q=07/04/1961&page=2"]


def _access_line(query: str, *, referer: str) -> str:
    config = Config()
    for key, value in gunicorn_options(bind="127.0.0.1:0", workers=1, threads=1).items():
        if key in config.settings:
            config.set(key, value)
    server_log = config.logger_class(config)
    out = io.StringIO()
    server_log.access_log.handlers = [logging.StreamHandler(out)]
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/patients/?{query}",
               "PATH_INFO": "/patients/", "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "10.0.0.9", "HTTP_REFERER": referer,
               "HTTP_USER_AGENT": "Firefox"}
    request = SimpleNamespace(headers=[("REFERER", referer), ("USER-AGENT", "Firefox")])
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    server_log.access(response, request, environ, timedelta(microseconds=1500))
    return out.getvalue()


@pytest.mark.parametrize("query", SEARCHES)
def test_the_access_log_has_no_query_string(query):
    line = _access_line(query, referer=f"https://clinic.example.org/patients/?{query}#top")
    assert '"GET /patients/ HTTP/1.1" 200 512' in line
    assert '"https://clinic.example.org/patients/"' in line  # the referrer, without its query
    for secret in ("Okonkwo", "1961", "example.net", "q="):
        assert secret not in line, line


def test_the_access_log_keeps_the_server_time_last():
    # The load benchmark reads the microseconds the request took from the end of the line.
    line = _access_line("q=x", referer="-")
    assert line.rstrip().endswith(" 1500")
