"""Sign-in throttling that protects without handing out a tool to lock people out
(docs/security.md, "Round two"). django-axes records each failure (user name, address); the
lock is decided here, from three counts over the last day (AXES_COOLOFF_TIME):

- one user name from one address: locked after AXES_FAILURE_LIMIT (5) failures;
- one address, whatever the user names: locked after XIGANG_ADDRESS_FAILURE_LIMIT (20);
- one user name from many addresses: locked only once failures came from
  XIGANG_USERNAME_ADDRESS_LIMIT (10) addresses, so one stranger cannot lock anyone out.

Each lock is a delay after the last failure that doubles with every failure (or address)
beyond its limit, from XIGANG_LOCK_BASE up to XIGANG_LOCK_MAX; failures during a lock are not
counted. A successful sign-in clears its own (user name, address) count; a 安全管理员 lists and
clears the others (admin, "sign-in failures"), in the change history."""

from __future__ import annotations

import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Count, Max, Sum
from django.shortcuts import render
from django.utils import timezone


def _delay(excess: int) -> datetime.timedelta:
    return min(settings.XIGANG_LOCK_BASE * 2 ** min(excess, 30), settings.XIGANG_LOCK_MAX)


def _until(counts: dict, limit: int, key: str = "n") -> datetime.datetime | None:
    n = counts[key] or 0
    return counts["last"] + _delay(n - limit) if n >= limit else None


def lock_until(username: str | None, address: str | None) -> datetime.datetime | None:
    """When the sign-in of `username` from `address` is open again (None: it is open now)."""
    now = timezone.now()
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - settings.AXES_COOLOFF_TIME)
    failures = {"n": Sum("failures_since_start"), "last": Max("attempt_time")}
    untils = [
        _until(
            recent.filter(ip_address=address).aggregate(**failures),
            settings.XIGANG_ADDRESS_FAILURE_LIMIT,
        ),
    ]
    if username:
        untils.append(
            _until(
                recent.filter(username=username, ip_address=address).aggregate(**failures),
                settings.AXES_FAILURE_LIMIT,
            )
        )
        spread = recent.filter(username=username).aggregate(
            n=Count("ip_address", distinct=True), last=Max("attempt_time")
        )
        untils.append(_until(spread, settings.XIGANG_USERNAME_ADDRESS_LIMIT))
    until = max((u for u in untils if u is not None), default=None)
    return until if until is not None and until > now else None


class ThrottleHandler(AxesDatabaseHandler):
    """axes' database handler (it records the failures) with our lock rule."""

    def is_locked(self, request, credentials=None) -> bool:
        username = get_client_username(request, credentials)
        return lock_until(username, getattr(request, "axes_ip_address", None)) is not None

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if (
            request is not None
            and not request.axes_locked_out
            and self.is_locked(request, credentials)
        ):
            request.axes_locked_out = True
            request.axes_credentials = credentials


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked sign-in gets (429): how long to wait, and who can clear it."""
    username = get_client_username(request, credentials)
    until = lock_until(username, getattr(request, "axes_ip_address", None))
    seconds = (until - timezone.now()).total_seconds() if until else 60
    context = {"minutes": max(1, int(-(-seconds // 60)))}
    return render(request, "security/locked_out.html", context, status=429)
