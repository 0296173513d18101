"""Reads asked twice within one page are answered once.

A page asks every obligation rule for its overdue and its pending items, and rules share their
inputs (the parameters, the households in reach, the scheduled duties): `once` keeps a
function's answer for the rest of a read-only request (GET or HEAD), keyed by its arguments,
and `rows` a queryset's rows, keyed by its statement.
Outside such a request (commands, jobs, services, POSTs) every call reads afresh, so a write
is never followed by a stale read. Answers are shared: callers must not change them. An answer
served twice tells `xigang.kept` the tables it was read from, as the first read did.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from xigang import kept

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


def once(function: Callable[P, R]) -> Callable[P, R]:
    """Keep the function's answer within `reads_once` (its arguments must be hashable: model
    instances hash by primary key, frozen dataclasses by value)."""

    @functools.wraps(function)
    def remembered(*args: P.args, **kwargs: P.kwargs) -> R:
        memo = _memo.get()
        if memo is None:
            return function(*args, **kwargs)
        key = (function, args, tuple(sorted(kwargs.items())))
        return _answer(memo, key, lambda: function(*args, **kwargs))

    return remembered


def rows(queryset: QuerySet) -> list:
    """The rows of `queryset` as a list, read once within `reads_once` for the same statement
    (its SQL, parameters and row shape): the rules' overdue and pending lists ask alike."""
    memo = _memo.get()
    if memo is None:
        return list(queryset)
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return []
    key = (rows, queryset.db, queryset._iterable_class, sql, _hashable(params))
    return _answer(memo, key, lambda: list(queryset))


def _answer(memo: dict[tuple, Any], key: tuple, read: Callable[[], R]) -> R:
    """`read()` once under `key`, with the tables it read, told again at each later answer."""
    if key in memo:
        value, tables = memo[key]
        kept.noted(tables)
        return value
    with kept.recording() as tables:
        value = read()
    memo[key] = (value, frozenset(tables))
    return value


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    return value


class ReadsOnceMiddleware:
    """Read-only requests run within `reads_once`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in _READ_ONLY:
            return self.get_response(request)
        with reads_once():
            return self.get_response(request)
