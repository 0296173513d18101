"""Security of the portal (docs/security.md): accounts, sessions, the second factor, the three
administrative posts. Models live in xigang.models; the change history in xigang.history."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in settings.TRUSTED_PROXIES)


def client_ip(request: HttpRequest) -> str:
    """The client's address as recorded by django-axes.

    X-Forwarded-For is read only when the peer (REMOTE_ADDR) is a proxy named in
    XIGANG_TRUSTED_PROXIES (addresses or networks); otherwise anyone could write it. Each
    trusted proxy appends the address it saw, so the hops are read from the right, skipping
    the trusted ones: the first other address is the client."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not _trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            return hop
    return hops[0] if hops else remote
