"""The address a request came from, the one place that decides it.

Behind a reverse proxy every request arrives from the proxy: the audit log showed
127.0.0.1 for everyone and the log-in lockout, keyed on the address, locked a user out
for the whole world. X-Forwarded-For says where the proxy got the request from, but any
client can send that header too, so it is believed only from a configured proxy
(ACUBACK_TRUSTED_PROXIES), and then read from the right: the first address that is not
one of our proxies is the client (addresses further left were written by the client).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _parse(address: str):
    try:
        return ipaddress.ip_address(address.strip().split("%")[0])
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or, when that is a trusted proxy, the last
    address in X-Forwarded-For that is not one of the trusted proxies."""
    if request is None:
        return None
    meta = request.META
    remote = meta.get("REMOTE_ADDR") or None
    networks = _networks(tuple(getattr(settings, "ACUBACK_TRUSTED_PROXIES", ())))
    if not networks or not _trusted(_parse(remote or ""), networks):
        return remote
    forwarded = [a for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    for candidate in reversed(forwarded):
        address = _parse(candidate)
        if address is None:
            return remote  # a malformed hop: nothing left of it can be believed
        if not _trusted(address, networks):
            return str(address)
    return remote
