"""Reads of the dashboards go to a read replica when one is configured (DATABASE_REPLICA_URL).

A view opts in with `@reads_from_replica`; inside it the router sends reads to the `replica`
alias, every write to `default`. Once the view has written (or while a transaction is open on
the primary) its reads go to the primary too, so that it never reads past its own writes.
Without the replica alias the router is not installed (settings) and nothing changes.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"

_replica_reads: ContextVar[bool] = ContextVar("xigang_replica_reads", default=False)
_wrote: ContextVar[bool] = ContextVar("xigang_replica_wrote", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Within the block, reads may go to the replica (until the first write)."""
    reads, wrote = _replica_reads.set(True), _wrote.set(False)
    try:
        yield
    finally:
        _wrote.reset(wrote)
        _replica_reads.reset(reads)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Within the block reads go to the primary, e.g. a page of someone's just-entered records."""
    reads = _replica_reads.set(False)
    try:
        yield
    finally:
        _replica_reads.reset(reads)


def reads_from_replica(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a read-only page: its GET and HEAD requests read from the replica."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapped


def read_connection(model: type[Model]) -> BaseDatabaseWrapper:
    """The connection a read of `model` goes to: raw SQL bypasses the router, so it asks here."""
    return connections[router.db_for_read(model)]


class ReplicaRouter:
    """Installed by settings only when DATABASE_REPLICA_URL names the replica."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not _replica_reads.get() or _wrote.get():
            return None
        # Inside a transaction on the primary a read must see what the transaction wrote.
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        if _replica_reads.get():
            _wrote.set(True)  # from now on this view reads its own writes, on the primary
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read there may refer to one here.
        same = {DEFAULT_DB_ALIAS, REPLICA}
        return True if {obj1._state.db, obj2._state.db} <= same else None
