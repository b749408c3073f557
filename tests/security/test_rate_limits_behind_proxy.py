"""Behind the reverse proxy of docs/deployment.md every request comes from the proxy's
address (a trusted proxy, ACUBACK_TRUSTED_PROXIES; the rule is acuback.client_address). The per-client rate limits (issue #25 §4) and the audit log must count the
client the proxy saw, or one client would use up the limit of everyone (and the audit
log would name the proxy). Only the address the trusted proxy appended is believed: the
rest of X-Forwarded-For is whatever the client wrote."""

from __future__ import annotations

from django.urls import reverse

from tests.security.test_rate_limits import _retry_after, limits  # noqa: F401 (fixture)

PROXY = {"REMOTE_ADDR": "127.0.0.1"}


def _ask(client, email, forwarded=None):
    extra = dict(PROXY, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}))
    return client.post(reverse("portal_login"), {"email": email}, **extra)


def test_behind_the_proxy_each_client_has_its_own_limit(world, client, limits, settings):  # noqa: F811
    settings.ACUBACK_TRUSTED_PROXIES = ["127.0.0.1"]
    limits(magic_link_per_client="2/h")
    for n in range(2):
        assert _ask(client, f"a{n}@example.com", "203.0.113.7").status_code == 200
    _retry_after(_ask(client, "a9@example.com", "203.0.113.7"))
    # another visitor through the same proxy is still served
    assert _ask(client, "b@example.com", "198.51.100.4").status_code == 200


def test_a_forged_forwarded_address_does_not_escape_the_limit(world, client, limits,  # noqa: F811
                                                               settings):
    settings.ACUBACK_TRUSTED_PROXIES = ["127.0.0.1"]
    limits(magic_link_per_client="2/h")
    for n in range(2):
        assert _ask(client, f"a{n}@example.com", f"10.9.9.{n}, 203.0.113.7").status_code == 200
    # what the client wrote comes first; the proxy appends the address it saw
    _retry_after(_ask(client, "a9@example.com", "10.9.9.99, 203.0.113.7"))


def test_without_a_proxy_the_header_is_ignored(world, client, limits, settings):  # noqa: F811
    settings.ACUBACK_TRUSTED_PROXIES = []
    limits(magic_link_per_client="2/h")
    for n in range(2):
        assert _ask(client, f"a{n}@example.com", f"203.0.113.{n}").status_code == 200
    _retry_after(_ask(client, "a9@example.com", "203.0.113.99"))


