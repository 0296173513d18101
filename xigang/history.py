"""The change history: who did what to which record, when, with old and new values.

What is recorded (docs/security.md, "Change history"):
- every create, update and delete of a model of the business apps (their AppConfig is a
  `xigang.apps.BusinessApp`), whatever the path (admin, portal forms, services called by
  commands): model signals, with the old values read just before an update. This is logging,
  not business rules: nothing here changes the data;
- ledger imports, which write with bulk_create/bulk_update (no signals): `import_ledger` calls
  `record_import` with one entry per imported row, all under one batch id (the row's values
  as the engine planned them); single saves made during an import carry the same batch id;
- exports (`record_export`) and pages that showed full ID numbers (`note_full_id_read`, one
  entry per request, written by the middleware after the view).

Who acts comes from a context variable: `ActorMiddleware` sets it for each request and
`xigang.commands.acting_user` for management commands.

Entries are appended under a lock (PostgreSQL advisory lock) so that each one's `prev_hash` is
the previous entry's `hash`; `hash` = SHA-256 over the canonical JSON of the entry's content
and `prev_hash`. `verify_chain` recomputes it: any edited, inserted or deleted row shows.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils import timezone

from xigang.apps import BusinessApp

GENESIS = "0" * 64
_OLD = "_xigang_old"  # the attribute that carries a row's values from pre_ to post_ signal
_LOCK_KEY = 0x5847_4A53  # "XGJS": the advisory lock that serialises appends on PostgreSQL


@dataclass
class Context:
    actor_id: int | None = None
    actor: str = ""
    source: str = "system"
    batch: str = ""
    full_id_read: bool = False
    pending: list[dict[str, Any]] = field(default_factory=list)


_context: ContextVar[Context | None] = ContextVar("xigang_history", default=None)


def current() -> Context:
    return _context.get() or Context()


def _context_for(user: Any, source: str, batch: str = "") -> Context:
    if user is not None and getattr(user, "is_authenticated", False):
        return Context(actor_id=user.pk, actor=user.get_username(), source=source, batch=batch)
    return Context(source=source, batch=batch)


def set_actor(user: Any, source: str) -> None:
    """For a whole process (a management command): who acts from now on."""
    _context.set(_context_for(user, source))


@contextlib.contextmanager
def acting(user: Any, source: str, batch: str = "") -> Iterator[Context]:
    """Within the block, entries name `user` and `source` (requests, tests)."""
    ctx = _context_for(user, source, batch)
    token = _context.set(ctx)
    try:
        yield ctx
    finally:
        _context.reset(token)


@contextlib.contextmanager
def batch(source: str = "ledger") -> Iterator[str]:
    """A batch id for one import: every entry written inside carries it."""
    outer = current()
    batch_id = uuid.uuid4().hex
    ctx = Context(actor_id=outer.actor_id, actor=outer.actor, source=source, batch=batch_id)
    token = _context.set(ctx)
    try:
        yield batch_id
    finally:
        _context.reset(token)


# --- values ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON-safe values exactly as they will be stored (and hashed)."""
    return json.loads(json.dumps(value, cls=_Encoder, ensure_ascii=False))


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, models.Model):  # its own fields only: no query, no __str__
            return {"model": o._meta.label_lower, **_field_values(o)}
        if isinstance(o, set | frozenset):
            return sorted(o, key=str)
        if isinstance(o, bytes | memoryview):
            return f"<{len(o)} bytes>"
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def values_of(instance: models.Model) -> dict[str, Any]:
    """The concrete field values of a row (foreign keys as ids, files as their names)."""
    return _plain(_field_values(instance))


def _field_values(instance: models.Model) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in instance._meta.concrete_fields:
        value = f.value_from_object(instance)
        if hasattr(value, "name") and isinstance(f, models.FileField):
            value = value.name or ""
        out[f.attname] = value
    return out


def _repr(instance: models.Model) -> str:
    """str() of a row, or its label and id when __str__ needs a relation that is gone."""
    try:
        return str(instance)[:200]
    except Exception:  # e.g. a deleted parent during a cascade
        return f"{instance._meta.label_lower} #{instance.pk}"


def _digest(entry: dict[str, Any]) -> str:
    content = {
        "at": entry["at"].astimezone(datetime.UTC).isoformat(),
        **{k: entry[k] for k in _HASHED},
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_HASHED = (
    "actor_id",
    "actor",
    "action",
    "model",
    "object_pk",
    "object_repr",
    "old",
    "new",
    "source",
    "batch",
    "prev_hash",
)


# --- appending -------------------------------------------------------------------------------


def _entry(action: str, model: str, object_pk: Any, object_repr: str, old: Any, new: Any) -> dict:
    ctx = current()
    return {
        "at": timezone.now(),
        "actor_id": ctx.actor_id,
        "actor": ctx.actor,
        "action": action,
        "model": model,
        "object_pk": "" if object_pk is None else str(object_pk)[:64],
        "object_repr": str(object_repr)[:200],
        "old": _plain(old),
        "new": _plain(new),
        "source": ctx.source,
        "batch": ctx.batch,
    }


def append(entries: list[dict[str, Any]]) -> None:
    """Chain and insert entries (one lock, one read of the last hash, one insert)."""
    from xigang.models import AuditEntry

    if not entries:
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        prev = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        prev = prev or GENESIS
        rows = []
        for entry in entries:
            entry["prev_hash"] = prev
            entry["hash"] = prev = _digest(entry)
            rows.append(AuditEntry(**entry))
        AuditEntry.objects.bulk_create(rows, batch_size=1000)


def record(
    action: str,
    *,
    model: str,
    object_pk: Any = "",
    object_repr: str = "",
    old: Any = None,
    new: Any = None,
) -> None:
    append([_entry(action, model, object_pk, object_repr, old, new)])


def record_import(kind_name: str, actions: Iterable[Any]) -> int:
    """One 'import' entry per written row of a ledger import (bulk writes send no signals).

    `actions` are the engine's `Action`s; unchanged rows are skipped. The entry's new values
    are the row as planned (its `payload`), with its Excel row number."""
    entries = [
        _entry(
            "import",
            f"ledger.{kind_name}",
            action.row,
            f"{kind_name} row {action.row}: {action.kind}",
            None,
            {"action": action.kind, "row": action.row, "payload": action.payload},
        )
        for action in actions
        if action.kind != "unchanged"
    ]
    append(entries)
    return len(entries)


def record_export(user: Any, what: str, count: int, *, detail: str = "") -> None:
    """An export of `count` rows of `what` (a ledger kind, a report) by `user`."""
    ctx = current()
    with acting(user, ctx.source if ctx.actor else "form", ctx.batch):
        record("export", model=what, object_repr=detail or what, new={"rows": count})


def note_full_id_read() -> None:
    """A page is showing full ID numbers: the middleware records it once for the request."""
    ctx = _context.get()
    if ctx is not None:
        ctx.full_id_read = True


# --- signals ---------------------------------------------------------------------------------


def _tracked(sender: type[models.Model], raw: bool = False) -> bool:
    # Historical models of migrations live in the module "__fake__": not recorded. Nor are rows
    # derived from the records (`derived = True`): recomputed, not entered, so not evidence.
    return (
        not raw
        and isinstance(sender._meta.app_config, BusinessApp)
        and sender.__module__ != "__fake__"
        and not getattr(sender, "derived", False)
    )


def _pre_save(
    sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any
) -> None:
    if not _tracked(sender, raw) or instance._state.adding or instance.pk is None:
        return
    old = sender._base_manager.filter(pk=instance.pk).first()
    setattr(instance, _OLD, values_of(old) if old is not None else None)


def _post_save(
    sender: type[models.Model],
    instance: models.Model,
    created: bool,
    raw: bool = False,
    **kwargs: Any,
) -> None:
    if not _tracked(sender, raw):
        return
    new = values_of(instance)
    old = None if created else getattr(instance, _OLD, None)
    if old is not None:
        changed = {k for k in new if old.get(k) != new[k]}
        old = {k: old.get(k) for k in sorted(changed)}
        new = {k: new[k] for k in sorted(changed)}
    instance.__dict__.pop(_OLD, None)
    record(
        "create" if created else "update",
        model=sender._meta.label_lower,
        object_pk=instance.pk,
        object_repr=_repr(instance),
        old=old,
        new=new,
    )


def _pre_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if _tracked(sender):
        setattr(instance, _OLD, values_of(instance))


def _post_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not _tracked(sender):
        return
    record(
        "delete",
        model=sender._meta.label_lower,
        object_pk=instance.pk,
        object_repr=_repr(instance),
        old=getattr(instance, _OLD, None),
    )


def connect() -> None:
    pre_save.connect(_pre_save, dispatch_uid="xigang.history.pre_save")
    post_save.connect(_post_save, dispatch_uid="xigang.history.post_save")
    pre_delete.connect(_pre_delete, dispatch_uid="xigang.history.pre_delete")
    post_delete.connect(_post_delete, dispatch_uid="xigang.history.post_delete")


# --- checking --------------------------------------------------------------------------------


@dataclass
class ChainReport:
    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain() -> ChainReport:
    """Walk the history in order; report the first entry whose link or content fails."""
    from xigang.models import AuditEntry

    prev = GENESIS
    checked = 0
    fields = ("id", "at", "hash", *_HASHED)
    for row in AuditEntry.objects.order_by("id").values(*fields).iterator(chunk_size=2000):
        if row["prev_hash"] != prev:
            return ChainReport(checked, row["id"], "link")
        if _digest(row) != row["hash"]:
            return ChainReport(checked, row["id"], "content")
        prev = row["hash"]
        checked += 1
    return ChainReport(checked)
