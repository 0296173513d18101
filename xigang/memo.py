"""Reads asked twice within one page are answered once.

A page asks every obligation rule for its overdue and its pending items, and rules share their
inputs (the parameters, the households in reach, the scheduled duties): `once` keeps a
function's answer for the rest of a read-only request (GET or HEAD), keyed by its arguments.
Outside such a request (commands, jobs, services, POSTs) every call reads afresh, so a write
is never followed by a stale read. Answers are shared: callers must not change them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.http import HttpRequest, HttpResponse

P = ParamSpec("P")
R = TypeVar("R")

_memo: ContextVar[dict[tuple, Any] | None] = ContextVar("xigang_memo", default=None)
_READ_ONLY = frozenset({"GET", "HEAD"})


@contextmanager
def reads_once() -> Iterator[None]:
    """Within the block, functions marked `once` answer each set of arguments once."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def active() -> bool:
    return _memo.get() is not None


def once(function: Callable[P, R]) -> Callable[P, R]:
    """Keep the function's answer within `reads_once` (its arguments must be hashable: model
    instances hash by primary key, frozen dataclasses by value)."""

    @functools.wraps(function)
    def remembered(*args: P.args, **kwargs: P.kwargs) -> R:
        memo = _memo.get()
        if memo is None:
            return function(*args, **kwargs)
        key = (function, args, tuple(sorted(kwargs.items())))
        if key not in memo:
            memo[key] = function(*args, **kwargs)
        return memo[key]

    return remembered


class ReadsOnceMiddleware:
    """Read-only requests run within `reads_once`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in _READ_ONLY:
            return self.get_response(request)
        with reads_once():
            return self.get_response(request)
