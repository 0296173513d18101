"""Answers kept between requests until the data they were read from changes (issue 18).

Every write to a versioned table, by any path (a service, a bulk import, `QuerySet.update`, raw
SQL), appends a row to `xigang_change` through a database trigger, in the writer's transaction;
a table's version is the sum of its rows, so it moves when the write commits and never before.
`answer` reads the versions first, then computes while recording which tables its statements
touch; the answer is kept under those tables' versions and served until one of them moves.
Reading the versions before the data means a kept answer is never older than its key; keeping
only answers read outside a transaction means it never rests on a write rolled back.

An answer that touched a table without a trigger is never kept. The reference engine (the
nightly check) and the benchmarks' cold figures read afresh (`afresh`). Kept answers are shared:
callers must not change them.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import connections, router

T = TypeVar("T")

CHANGES = "xigang_change"
# Tables whose writes never change an obligation's answer and are written on every request or
# sign-in: no trigger, so an answer that reads one is not kept.
UNVERSIONED = frozenset({CHANGES, "django_session", "xigang_auditentry"})
# Columns written at every sign-in: an update of only these does not move the version.
IGNORED_COLUMNS = {"auth_user": frozenset({"last_login"})}

_recorders: ContextVar[tuple[set[str], ...]] = ContextVar("xigang_kept_recorders", default=())
_afresh: ContextVar[bool] = ContextVar("xigang_kept_afresh", default=False)
# key -> (tables read, their versions, the answer, its size in rows), least recently used first
_kept: OrderedDict[tuple, tuple[tuple[str, ...], tuple[int, ...], Any, int]] = OrderedDict()
_size = 0  # rows kept in all
_lock = threading.Lock()


# --- which tables a computation reads ----------------------------------------------------


@cache
def _versioned_names() -> frozenset[str]:
    return frozenset(versioned())


@cache
def _table_names() -> re.Pattern[str]:
    # The changes' own table is read by `versions`, outside what an answer depends on.
    names = sorted(set(table_columns()) - {CHANGES}, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")


def _record(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
    found = set(_table_names().findall(sql))
    for tables in _recorders.get():
        tables |= found
    return execute(sql, params, many, context)


@contextmanager
def recording() -> Iterator[set[str]]:
    """The set of tables the block's statements touch (on every connection)."""
    found: set[str] = set()
    outer = _recorders.get()
    token = _recorders.set((*outer, found))
    try:
        with ExitStack() as stack:
            if not outer:  # one wrapper per connection feeds every open recording
                for connection in connections.all():
                    stack.enter_context(connection.execute_wrapper(_record))
            yield found
    finally:
        _recorders.reset(token)


def noted(tables: Iterable[str]) -> None:
    """Tell the open recordings that `tables` were read (an answer served from memory)."""
    for found in _recorders.get():
        found.update(tables)


# --- the versions -------------------------------------------------------------------------


@cache
def table_columns() -> dict[str, list[str]]:
    """Every model table and its columns (many-to-many tables included)."""
    tables: dict[str, list[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy:
            tables[meta.db_table] = [field.column for field in meta.local_concrete_fields]
    return tables


def versioned() -> dict[str, list[str]]:
    """The tables with a trigger, and the columns whose update moves the version."""
    return {
        table: [c for c in columns if c not in IGNORED_COLUMNS.get(table, ())]
        for table, columns in table_columns().items()
        if table not in UNVERSIONED
    }


def triggers(vendor: str) -> list[str]:
    """The statements that install the triggers (idempotent): post_migrate runs them."""
    if vendor == "postgresql":
        statements = [
            f"""CREATE OR REPLACE FUNCTION {CHANGES}_note() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO {CHANGES} ("table", n) VALUES (TG_TABLE_NAME, 1); RETURN NULL; END
            $$"""
        ]
        for table, columns in versioned().items():
            updates = "UPDATE OF " + ", ".join(f'"{c}"' for c in columns)
            statements.append(
                f"CREATE OR REPLACE TRIGGER {CHANGES}_note AFTER INSERT OR {updates} OR DELETE "
                f'OR TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION {CHANGES}_note()'
            )
        return statements
    if vendor == "sqlite":  # row triggers only: a bulk write notes each row (`compact` sums them)
        statements = []
        for table, columns in versioned().items():
            note = f"""BEGIN INSERT INTO {CHANGES} ("table", n) VALUES ('{table}', 1); END"""
            for event in ("INSERT", "UPDATE OF " + ", ".join(f'"{c}"' for c in columns), "DELETE"):
                name = f"{CHANGES}_{event.split()[0].lower()}_{table}"
                statements.append(
                    f'CREATE TRIGGER IF NOT EXISTS "{name}" AFTER {event} ON "{table}" {note}'
                )
        return statements
    return []


def install_triggers(using: str = "default", **_kwargs: Any) -> None:
    """post_migrate: a trigger on every versioned table, new tables included."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for sql in triggers(connection.vendor):
            cursor.execute(sql)


def compact(using: str = "default") -> int:
    """Fold the noted changes into one row per table, the sums unchanged (the nightly run);
    returns how many rows it removed. Rows of writes still open stay, to be counted later."""
    from django.db import transaction

    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {CHANGES}")
        (last,) = cursor.fetchone()
        if last is None:
            return 0
        cursor.execute(
            f'SELECT "table", SUM(n), COUNT(*) FROM {CHANGES} WHERE id <= %s GROUP BY "table"',
            [last],
        )
        sums = cursor.fetchall()
        cursor.execute(f"DELETE FROM {CHANGES} WHERE id <= %s", [last])
        cursor.executemany(
            f'INSERT INTO {CHANGES} ("table", n) VALUES (%s, %s)', [(t, n) for t, n, _c in sums]
        )
    return sum(count for _t, _n, count in sums) - len(sums)


# --- kept answers -------------------------------------------------------------------------


@contextmanager
def afresh() -> Iterator[None]:
    """Within the block every answer is computed (the reference, the cold figures)."""
    token = _afresh.set(True)
    try:
        yield
    finally:
        _afresh.reset(token)


def clear() -> None:
    global _size
    with _lock:
        _kept.clear()
        _size = 0


def _size_of(value: Any) -> int:
    """An answer's size: its items or tallies (a rule answers lists, or tuples of them)."""
    if isinstance(value, list):
        return len(value) + 1
    if isinstance(value, tuple):
        return sum(map(_size_of, value)) + 1
    return 1


def _keep(key: tuple, tables: tuple[str, ...], at: tuple[int, ...], value: Any) -> None:
    """Keep an answer, forgetting the least recently used beyond `settings.KEPT_ROWS`."""
    global _size
    rows = _size_of(value)
    with _lock:
        if key in _kept:
            _size -= _kept.pop(key)[3]
        _kept[key] = (tables, at, value, rows)
        _size += rows
        while _size > settings.KEPT_ROWS and _kept:
            _size -= _kept.popitem(last=False)[1][3]


@dataclass(frozen=True)
class Versions:
    using: str  # the database the answers are read from
    tables: dict[str, int]


def versions() -> Versions | None:
    """The tables' versions where the answers will be read (None within `afresh`): read before
    the answers themselves, once for a batch of them."""
    if _afresh.get():
        return None
    from xigang.models import Change

    using = router.db_for_read(Change)
    with connections[using].cursor() as cursor:
        cursor.execute(f'SELECT "table", SUM(n) FROM {CHANGES} GROUP BY "table"')
        return Versions(using, {table: int(n) for table, n in cursor.fetchall()})


def _in_transaction(using: str) -> bool:
    """Whether the reads ran in a transaction of the portal's own (a test's is not one): such
    an answer may rest on writes rolled back later, whose versions a later write would repeat,
    so it is served to nobody else."""
    blocks = connections[using].atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def answer(now: Versions | None, key: tuple, compute: Callable[[], T]) -> T:
    """`compute()`'s answer, kept under `key` (everything it depends on besides the data) and
    the versions `now` of the tables it reads; computed afresh when `now` is None."""
    if now is None:
        return compute()
    key = (now.using, *key)
    with _lock:
        kept = _kept.get(key)
        if kept is not None and tuple(now.tables.get(t, 0) for t in kept[0]) == kept[1]:
            _kept.move_to_end(key)
        else:
            kept = None
    if kept is not None:
        noted(kept[0])
        return kept[2]
    with recording() as found:
        value = compute()
    if found <= _versioned_names() and not _in_transaction(now.using):
        tables = tuple(sorted(found))
        _keep(key, tables, tuple(now.tables.get(t, 0) for t in tables), value)
    return value
