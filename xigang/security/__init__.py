"""Security of the portal (docs/security.md): accounts, sessions, the second factor, the three
administrative posts. Models live in xigang.models; the change history in xigang.history."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address as recorded by django-axes.

    Behind nginx (`XIGANG_BEHIND_PROXY`, on with `XIGANG_HTTPS`), REMOTE_ADDR is nginx itself;
    nginx appends the address it saw to X-Forwarded-For ($proxy_add_x_forwarded_for), so the
    last entry is the one a client cannot forge. Without the proxy, REMOTE_ADDR is the client."""
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "")
