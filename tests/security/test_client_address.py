"""Behind the reverse proxy of docs/deployment.md every request comes from the proxy's
address. The per-client rate limits (issue #25 §4) and the audit log must count the
client the proxy saw, or one client would use up the limit of everyone (and the audit
log would name the proxy). Only the address the trusted proxy appended is believed: the
rest of X-Forwarded-For is whatever the client wrote."""

from __future__ import annotations

from django.urls import reverse

from acuback.audit.models import AuditEvent
from acuback.audit.services import client_ip
from tests.security.test_rate_limits import _retry_after, limits  # noqa: F401 (fixture)

PROXY = {"REMOTE_ADDR": "127.0.0.1"}


def _ask(client, email, forwarded=None):
    extra = dict(PROXY, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}))
    return client.post(reverse("portal_login"), {"email": email}, **extra)


def test_behind_the_proxy_each_client_has_its_own_limit(world, client, limits, settings):  # noqa: F811
    settings.ACUBACK_BEHIND_PROXY = True
    limits(magic_link_per_client="2/h")
    for n in range(2):
        assert _ask(client, f"a{n}@example.com", "203.0.113.7").status_code == 200
    _retry_after(_ask(client, "a9@example.com", "203.0.113.7"))
    # another visitor through the same proxy is still served
    assert _ask(client, "b@example.com", "198.51.100.4").status_code == 200


def test_a_forged_forwarded_address_does_not_escape_the_limit(world, client, limits,  # noqa: F811
                                                               settings):
    settings.ACUBACK_BEHIND_PROXY = True
    limits(magic_link_per_client="2/h")
    for n in range(2):
        assert _ask(client, f"a{n}@example.com", f"10.9.9.{n}, 203.0.113.7").status_code == 200
    # what the client wrote comes first; the proxy appends the address it saw
    _retry_after(_ask(client, "a9@example.com", "10.9.9.99, 203.0.113.7"))


def test_without_a_proxy_the_header_is_ignored(world, client, limits, settings):  # noqa: F811
    settings.ACUBACK_BEHIND_PROXY = False
    limits(magic_link_per_client="2/h")
    for n in range(2):
        assert _ask(client, f"a{n}@example.com", f"203.0.113.{n}").status_code == 200
    _retry_after(_ask(client, "a9@example.com", "203.0.113.99"))


def test_the_audit_log_names_the_client_the_proxy_saw(world, login, settings):
    settings.ACUBACK_BEHIND_PROXY = True
    client = login(world.practitioner)
    client.get(reverse("patient_chart", args=[world.patient.pk]),
               HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.7", **PROXY)
    event = AuditEvent.objects.filter(patient=world.patient).latest("pk")
    assert event.ip_address == "203.0.113.7"


def test_junk_in_the_header_falls_back_to_the_peer(rf, settings):
    settings.ACUBACK_BEHIND_PROXY = True
    for junk in ["", "not-an-address", "203.0.113.7, <script>", ",", "999.1.1.1"]:
        request = rf.get("/", HTTP_X_FORWARDED_FOR=junk, REMOTE_ADDR="127.0.0.1")
        assert client_ip(request) == "127.0.0.1"
    assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR="2001:db8::1",
                            REMOTE_ADDR="127.0.0.1")) == "2001:db8::1"


def test_behind_the_proxy_a_lockout_holds_one_client_not_everyone(world, client, settings):
    from tests.factories import PASSWORD

    settings.ACUBACK_BEHIND_PROXY = True
    settings.AXES_ENABLED = True

    def attempt(password, forwarded):
        return client.post(reverse("login"), {"username": "alpha_admin", "password": password},
                           HTTP_X_FORWARDED_FOR=forwarded, **PROXY)

    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("wrong", "203.0.113.7")
    assert attempt(PASSWORD, "203.0.113.7").status_code == 429
    # the user, logging in from elsewhere through the same proxy, is not locked out
    assert attempt(PASSWORD, "198.51.100.4").status_code == 302
