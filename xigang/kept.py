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

import datetime
import hashlib
import logging
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, is_dataclass
from functools import cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections, router

logger = logging.getLogger(__name__)

CHANGES = "xigang_change"
# A row of the changes' table that names no table: a random number drawn when the database is
# made (post_migrate), so that answers shared from another database are never taken for its own.
EPOCH = "~epoch"
# Tables whose writes never change an obligation's answer and are written on every request or
# sign-in: no trigger, so an answer that reads one is not kept.
UNVERSIONED = frozenset({CHANGES, "django_session", "xigang_auditentry"})
# Columns written at every sign-in: an update of only these does not move the version.
IGNORED_COLUMNS = {"auth_user": frozenset({"last_login"})}
HOUSEHOLD = "household_id"  # the column naming a row's household

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


@cache
def household_tables() -> frozenset[str]:
    """The versioned tables whose rows belong to a household: their triggers also note which
    households' rows a write touched (`Change.household`)."""
    return frozenset(t for t, columns in versioned().items() if HOUSEHOLD in columns)


def triggers(vendor: str) -> list[str]:
    """The statements that install the triggers (idempotent): post_migrate runs them."""
    if vendor == "postgresql":
        statements = [
            f"""CREATE OR REPLACE FUNCTION {CHANGES}_note() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN INSERT INTO {CHANGES} ("table", n) VALUES (TG_TABLE_NAME, 1); RETURN NULL; END
            $$""",
            # The households of the rows written, from the statement's transition tables.
            f"""CREATE OR REPLACE FUNCTION {CHANGES}_households() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN
              IF TG_OP = 'TRUNCATE' THEN
                INSERT INTO {CHANGES} ("table", n, household) VALUES (TG_TABLE_NAME, 1, 0);
              END IF;
              IF TG_OP IN ('UPDATE', 'DELETE') THEN
                INSERT INTO {CHANGES} ("table", n, household)
                SELECT TG_TABLE_NAME, COUNT(*), COALESCE({HOUSEHOLD}, 0) FROM old_rows GROUP BY 3;
              END IF;
              IF TG_OP IN ('INSERT', 'UPDATE') THEN
                INSERT INTO {CHANGES} ("table", n, household)
                SELECT TG_TABLE_NAME, COUNT(*), COALESCE({HOUSEHOLD}, 0) FROM new_rows GROUP BY 3;
              END IF;
              RETURN NULL;
            END $$""",
        ]
        households = household_tables()
        for table, columns in versioned().items():
            updates = "UPDATE OF " + ", ".join(f'"{c}"' for c in columns)
            statements.append(
                f"CREATE OR REPLACE TRIGGER {CHANGES}_note AFTER INSERT OR {updates} OR DELETE "
                f'OR TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION {CHANGES}_note()'
            )
            if table not in households:
                continue
            # A trigger with transition tables takes one event and no column list.
            for event, rows in (
                ("INSERT", "NEW TABLE AS new_rows"),
                ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                ("DELETE", "OLD TABLE AS old_rows"),
                ("TRUNCATE", ""),
            ):
                referencing = f" REFERENCING {rows}" if rows else ""
                statements.append(
                    f"CREATE OR REPLACE TRIGGER {CHANGES}_{event.lower()}_households AFTER {event}"
                    f' ON "{table}"{referencing} FOR EACH STATEMENT'
                    f" EXECUTE FUNCTION {CHANGES}_households()"
                )
        return statements
    if vendor == "sqlite":  # row triggers only: a bulk write notes each row (`compact` sums them)
        statements = []
        households = household_tables()
        for table, columns in versioned().items():
            notes = {"NEW": "", "OLD": ""}
            if table in households:
                notes = {
                    row: f""" INSERT INTO {CHANGES} ("table", n, household)
                    VALUES ('{table}', 1, COALESCE({row}.{HOUSEHOLD}, 0));"""
                    for row in notes
                }
            for event, images in (
                ("INSERT", ("NEW",)),
                ("UPDATE OF " + ", ".join(f'"{c}"' for c in columns), ("OLD", "NEW")),
                ("DELETE", ("OLD",)),
            ):
                name = f"{CHANGES}_{event.split()[0].lower()}_{table}"
                note = "".join(notes[image] for image in images)
                statements += [  # made again: a release may change what a trigger notes
                    f'DROP TRIGGER IF EXISTS "{name}"',
                    f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" BEGIN '
                    f"""INSERT INTO {CHANGES} ("table", n) VALUES ('{table}', 1);{note} END""",
                ]
        return statements
    return []


def install_triggers(using: str = "default", **_kwargs: Any) -> None:
    """post_migrate: a trigger on every versioned table, new tables included; the epoch."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for sql in triggers(connection.vendor):
            cursor.execute(sql)
        cursor.execute(
            f'INSERT INTO {CHANGES} ("table", n) SELECT %s, %s '
            f'WHERE NOT EXISTS (SELECT 1 FROM {CHANGES} WHERE "table" = %s)',
            [EPOCH, 1 + secrets.randbelow(2**62), EPOCH],
        )


def compact(using: str = "default") -> int:
    """Fold the noted changes into one row per table and household noted, the sums unchanged
    (the nightly run); returns how many rows it removed. Rows of writes still open stay, to be
    counted later."""
    from django.db import transaction

    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {CHANGES}")
        (last,) = cursor.fetchone()
        if last is None:
            return 0
        cursor.execute(
            f'SELECT "table", household, SUM(n), COUNT(*) FROM {CHANGES} WHERE id <= %s '
            'GROUP BY "table", household',
            [last],
        )
        sums = cursor.fetchall()
        cursor.execute(f"DELETE FROM {CHANGES} WHERE id <= %s", [last])
        cursor.executemany(
            f'INSERT INTO {CHANGES} ("table", household, n) VALUES (%s, %s, %s)',
            [(t, h, n) for t, h, n, _c in sums],
        )
    return sum(count for *_sums, count in sums) - len(sums)


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


def reading_afresh() -> bool:
    """Whether answers are computed afresh here (`afresh`): no versions are read."""
    return _afresh.get()


def versions(
    households: Sequence[int] | None = None, by_household: Collection[str] | None = None
) -> Versions | None:
    """The tables' versions where the answers will be read (None within `afresh`): read before
    the answers themselves, once for a batch of them. With `households` (a reach of a few), the
    tables `by_household` (default: every table whose rows belong to a household) count only
    the writes of those households' rows and of rows of none: answers that read no other
    household's rows of them are kept across theirs."""
    if _afresh.get():
        return None
    from xigang.models import Change

    using = router.db_for_read(Change)
    with connections[using].cursor() as cursor:
        if households is None:
            cursor.execute(
                f'SELECT "table", SUM(n) FROM {CHANGES} WHERE household IS NULL GROUP BY "table"'
            )
            return Versions(using, {table: int(n) for table, n in cursor.fetchall()})
        marks = ", ".join(["%s"] * (len(households) + 1))
        # Two parts, each read through its partial index (an OR of the two scanned the table).
        cursor.execute(
            f'SELECT "table", 1, SUM(n) FROM {CHANGES} WHERE household IS NULL GROUP BY "table" '
            f'UNION ALL SELECT "table", 0, SUM(n) FROM {CHANGES} '
            f'WHERE household IN ({marks}) GROUP BY "table"',
            [0, *households],
        )
        rows = cursor.fetchall()
    by = household_tables() if by_household is None else frozenset(by_household)
    tables = {table: int(n) for table, whole, n in rows if whole}
    tables.update(dict.fromkeys(by, 0))
    tables.update({table: int(n) for table, whole, n in rows if not whole and table in by})
    return Versions(using, tables)


def _in_transaction(using: str) -> bool:
    """Whether the reads ran in a transaction of the portal's own (a test's is not one): such
    an answer may rest on writes rolled back later, whose versions a later write would repeat,
    so it is served to nobody else."""
    blocks = connections[using].atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


# --- shared between processes -------------------------------------------------------------
# Each web process keeps its own answers; with `settings.KEPT_SHARED` (a Redis URL) it also
# reads those another process computed, under the same key and versions: a person's pages go to
# any of the workers. Answers larger than `KEPT_SHARED_ROWS` stay in their process (unpickling
# a county's whole list costs about what reading it does).


def _canonical(value: Any) -> Any:
    """`value` as plain tuples, sets sorted: the same in every process (a str's hash is not)."""
    if isinstance(value, (set, frozenset)):
        return ("set", *sorted((_canonical(v) for v in value), key=repr))
    if is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__qualname__,
            *(_canonical(getattr(value, f.name)) for f in fields(value)),
        )
    if isinstance(value, (tuple, list)):
        return tuple(map(_canonical, value))
    if value is None or isinstance(value, (str, int, float, datetime.date)):
        return value
    raise TypeError(f"no shared key for {type(value).__name__}")


def _shared_keys(now: Versions, keys: dict[int, tuple]) -> dict[int, str]:
    """The shared store's key of each answer: the database (and its epoch, new with every
    database made) and the answer's own key, hashed."""
    epoch = now.tables.get(EPOCH, 0)
    if not settings.KEPT_SHARED or not epoch or not keys:
        return {}
    db = connections[now.using].settings_dict
    place = (db["NAME"], db.get("HOST"), db.get("PORT"), epoch)
    found = {}
    for i, key in keys.items():
        try:
            plain = repr((place, _canonical(key)))
        except TypeError:  # a key of a kind not known here: kept in this process only
            continue
        found[i] = hashlib.blake2b(plain.encode(), digest_size=20).hexdigest()
    return found


def _shared_store() -> Any:
    from django.core.cache import caches

    return caches["kept"]


def _shared_get(now: Versions, keys: dict[int, str]) -> dict[int, tuple[tuple[str, ...], Any]]:
    """The answers another process shared under `keys` whose versions are still current."""
    if not keys:
        return {}
    try:
        got = _shared_store().get_many(list(keys.values()))
    except Exception:  # noqa: BLE001 - the store only saves work: without it, compute
        logger.warning("kept: the shared store could not be read", exc_info=True)
        return {}
    found = {}
    for i, key in keys.items():
        if key in got:
            tables, at, value = got[key]
            if _at(now, tables) == at:
                found[i] = (tables, value)
    return found


def _shared_put(entries: dict[str, tuple]) -> None:
    if not entries:
        return
    try:
        _shared_store().set_many(entries)
    except Exception:  # noqa: BLE001 - as in _shared_get
        logger.warning("kept: the shared store could not be written", exc_info=True)


def _at(now: Versions, tables: tuple[str, ...]) -> tuple[int, ...]:
    """The versions `now` of `tables`, as an answer is kept under them."""
    return tuple(now.tables.get(t, 0) for t in tables)


def _local(now: Versions, key: tuple) -> tuple[tuple[str, ...], Any] | None:
    """The tables read and the answer kept in this process under `key`, if still current."""
    with _lock:
        kept = _kept.get(key)
        if kept is None or _at(now, kept[0]) != kept[1]:
            return None
        _kept.move_to_end(key)
        return kept[0], kept[2]


def answers(now: Versions | None, asked: list[tuple[tuple, Callable[[], Any]]]) -> list:
    """Each `compute()`'s answer, kept under its key (everything it depends on besides the
    data) and the versions `now` of the tables it reads; computed afresh when `now` is None.
    Those missing here are read from the shared store (`KEPT_SHARED`) in one round trip."""
    if now is None:
        return [compute() for _key, compute in asked]
    keys = [(now.using, *key) for key, _compute in asked]
    found = {i: hit for i, key in enumerate(keys) if (hit := _local(now, key)) is not None}
    shared_keys = _shared_keys(now, {i: key for i, key in enumerate(keys) if i not in found})
    for i, hit in _shared_get(now, shared_keys).items():
        found[i] = hit
        _keep(keys[i], hit[0], _at(now, hit[0]), hit[1])
    results, to_share = [], {}
    for i, (key, (_key, compute)) in enumerate(zip(keys, asked, strict=True)):
        if i in found:
            noted(found[i][0])
            results.append(found[i][1])
            continue
        with recording() as read:
            value = compute()
        if read <= _versioned_names() and not _in_transaction(now.using):
            tables = tuple(sorted(read))
            at = _at(now, tables)
            _keep(key, tables, at, value)
            if i in shared_keys and _size_of(value) <= settings.KEPT_SHARED_ROWS:
                to_share[shared_keys[i]] = (tables, at, value)
        results.append(value)
    _shared_put(to_share)
    return results
