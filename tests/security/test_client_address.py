"""The client's address behind a reverse proxy (issue #31 §5): believed from a configured
proxy only, read from the right of X-Forwarded-For; used by the audit log and the log-in
lockout."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys

import pytest
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from acuback.audit.models import AuditEvent
from acuback.client_address import client_ip
from tests.factories import PASSWORD

PROXY = "10.0.0.5"


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.ACUBACK_TRUSTED_PROXIES = []
    assert client_ip(_request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


def test_from_a_trusted_proxy_the_client_is_the_address_it_forwarded(settings):
    settings.ACUBACK_TRUSTED_PROXIES = [PROXY]
    assert client_ip(_request(PROXY, "203.0.113.9")) == "203.0.113.9"


def test_a_client_that_writes_the_header_itself_is_not_believed(settings):
    settings.ACUBACK_TRUSTED_PROXIES = [PROXY]
    # straight to the server, not through the proxy
    assert client_ip(_request("198.51.100.7", "1.2.3.4")) == "198.51.100.7"
    # through the proxy, with a forged entry in front of the one the proxy appended
    assert client_ip(_request(PROXY, "1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_chains_of_proxies_and_networks(settings):
    settings.ACUBACK_TRUSTED_PROXIES = ["10.0.0.0/8", "::1"]
    assert client_ip(_request("::1", "203.0.113.9, 10.1.2.3")) == "203.0.113.9"
    assert client_ip(_request(PROXY, "2001:db8::7")) == "2001:db8::7"
    assert client_ip(_request(PROXY, "")) == PROXY  # nothing forwarded: the proxy itself
    assert client_ip(_request(PROXY, "not-an-address")) == PROXY


@given(forged=st.lists(st.ip_addresses().map(str), max_size=4),
       client=st.ip_addresses(v=4).filter(lambda a: a not in ipaddress.ip_network("10.0.0.0/8")))
def test_whatever_the_client_forges_the_proxys_entry_decides(forged, client):
    from django.conf import settings

    previous = settings.ACUBACK_TRUSTED_PROXIES
    settings.ACUBACK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    try:
        header = ", ".join([*forged, str(client)])
        assert client_ip(_request(PROXY, header)) == str(client)
    finally:
        settings.ACUBACK_TRUSTED_PROXIES = previous


def test_the_audit_log_records_the_forwarded_client(world, client, settings):
    settings.ACUBACK_TRUSTED_PROXIES = [PROXY]
    client.force_login(world.practitioner)
    client.get(reverse("patient_chart", args=[world.patient.pk]), REMOTE_ADDR=PROXY,
               HTTP_X_FORWARDED_FOR="203.0.113.9")
    event = AuditEvent.objects.filter(patient=world.patient).order_by("pk").last()
    assert event.ip_address == "203.0.113.9"


def test_failures_from_one_client_behind_the_proxy_do_not_lock_out_another(world, client,
                                                                           settings):
    settings.AXES_ENABLED = True
    settings.ACUBACK_TRUSTED_PROXIES = [PROXY]
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    owner = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.20"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "alpha_admin", "password": "wrong"},
                    **attacker)
    locked = client.post(reverse("login"), {"username": "alpha_admin", "password": PASSWORD},
                         **attacker)
    assert locked.status_code == 429
    response = client.post(reverse("login"), {"username": "alpha_admin", "password": PASSWORD},
                           **owner)
    assert response.status_code == 302


@pytest.mark.parametrize(("behind", "expected"), [("1", "['127.0.0.1', '::1']"),
                                                ("0", "[]")])
def test_behind_a_proxy_loopback_is_trusted_by_default(behind, expected, tmp_path):
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='acuback.settings'; "
            "django.setup(); from django.conf import settings; "
            "print(settings.ACUBACK_TRUSTED_PROXIES)")
    environ = {k: v for k, v in os.environ.items() if k != "ACUBACK_TRUSTED_PROXIES"}
    environ.update(ACUBACK_DATA_DIR=str(tmp_path), ACUBACK_BEHIND_PROXY=behind)
    out = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True,  # noqa: S603
                         text=True, check=True).stdout.strip()
    assert out == expected
