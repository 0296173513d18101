"""A locked database is waited for, tried again, and then answered in Chinese, never with a 500.

SQLite lets one connection write at a time: a second one waits up to the connection's
`timeout` (settings, DATABASES OPTIONS), and two transactions that both read and then both
write end one of them at once with OperationalError "database is locked". This middleware runs
the request again, whole, a few times; each try of a write (POST, PUT, PATCH, DELETE) runs in
one transaction, so a try that failed half-way has written nothing. When every try fails, the
user reads a 503 page that says nothing was saved and to try again.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import OperationalError, transaction
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

TRIES = 3
PAUSE_SECONDS = 0.2  # before the second try; doubled before each next one, with jitter
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
_FLAG = "xigang_database_locked"  # set on the request when a try met the lock


class _Locked(Exception):
    """A try met a locked database: its transaction is rolled back and the request tried again."""


def is_locked(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError) and "is locked" in str(exc)


def _note_locked(sender: object, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django turns a view's exception into a 500 response before any middleware sees it; this
    receiver of got_request_exception marks the request so that the middleware knows why."""
    if request is not None and is_locked(sys.exc_info()[1]):
        setattr(request, _FLAG, True)


got_request_exception.connect(_note_locked, dispatch_uid="xigang.locked_db")


def busy_response() -> HttpResponse:
    """Rendered without the request: the page reads nothing from the database it could not use."""
    response = HttpResponse(render_to_string("xigang/busy.html"), status=503)
    response["Retry-After"] = "5"
    return response


class RetryLockedDatabaseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pause = PAUSE_SECONDS
        for attempt in range(1, TRIES + 1):
            setattr(request, _FLAG, False)
            try:
                return self._try(request)
            except (_Locked, OperationalError) as exc:
                if not isinstance(exc, _Locked) and not is_locked(exc):
                    raise
            if attempt < TRIES:
                time.sleep(pause * random.uniform(0.5, 1.5))
                pause *= 2
        return busy_response()

    def _try(self, request: HttpRequest) -> HttpResponse:
        if request.method in SAFE_METHODS:
            response = self.get_response(request)
            if getattr(request, _FLAG):
                raise _Locked
            return response
        with transaction.atomic():
            response = self.get_response(request)
            if getattr(request, _FLAG):
                raise _Locked  # leaves the transaction: whatever this try wrote is undone
        return response
