"""Anchors of the change history, kept where the database user cannot rewrite them.

The hash chain (xigang.history) shows an entry edited or removed in the middle, but not the
last entries cut off, nor a chain edited and recomputed from there on: whoever can write the
table can do both. An anchor is the chain's head (entry count, last id and hash), signed with
an HMAC whose key is not in the database (XIGANG_HISTORY_KEY), appended once a day
(`manage.py anchor_history`, cron) as one line to a file in XIGANG_HISTORY_ANCHOR_DIR (made
append-only by the operator, `chattr +a`) and to the log (`xigang.history.anchor`, syslog in
production). `verify_history` checks the table against the latest anchor: fewer entries, or a
different hash at the anchored position, is tampering."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

FILE_NAME = "history-anchors.jsonl"
logger = logging.getLogger("xigang.history.anchor")


def _key() -> bytes:
    return settings.HISTORY_KEY.encode("utf-8")


def _mac(anchor: dict) -> str:
    text = f"{anchor['at']}|{anchor['count']}|{anchor['last_id']}|{anchor['head']}"
    return hmac.new(_key(), text.encode("utf-8"), hashlib.sha256).hexdigest()


def anchor_path() -> Path:
    return Path(settings.HISTORY_ANCHOR_DIR) / FILE_NAME


def current_head() -> dict:
    """The chain's head now: how many entries, the last one's id and hash."""
    from xigang.models import AuditEntry

    last = AuditEntry.objects.order_by("-id").values("id", "hash").first()
    if last is None:
        return {"count": 0, "last_id": 0, "head": ""}
    count = AuditEntry.objects.filter(id__lte=last["id"]).count()
    return {"count": count, "last_id": last["id"], "head": last["hash"]}


def anchor_write() -> dict:
    """Append a signed anchor of the current head to the file and the log; returns it."""
    anchor = {"at": timezone.now().isoformat(), **current_head()}
    anchor["mac"] = _mac(anchor)
    line = json.dumps(anchor, sort_keys=True)
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    logger.info("history anchor %s", line)
    return anchor


def latest_anchor() -> dict | None:
    path = anchor_path()
    if not path.exists():
        return None
    last = None
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                last = line
    return json.loads(last) if last else None


@dataclass
class AnchorReport:
    anchor: dict | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def check_anchor(count: int) -> AnchorReport:
    """The table (`count` entries, already found to chain) against the latest anchor."""
    from xigang.models import AuditEntry

    anchor = latest_anchor()
    if anchor is None:
        return AnchorReport(None)
    if not hmac.compare_digest(str(anchor.get("mac", "")), _mac(anchor)):
        return AnchorReport(anchor, _("the latest anchor's signature is wrong (forged anchor)"))
    if count < anchor["count"]:
        return AnchorReport(
            anchor,
            _("entries are missing: the anchor of %(at)s counted %(n)d, the table has %(m)d")
            % {"at": anchor["at"], "n": anchor["count"], "m": count},
        )
    if anchor["count"]:
        row = AuditEntry.objects.filter(pk=anchor["last_id"]).values("hash").first()
        upto = AuditEntry.objects.filter(pk__lte=anchor["last_id"]).count()
        if row is None or row["hash"] != anchor["head"] or upto != anchor["count"]:
            return AnchorReport(
                anchor,
                _("entry %(id)d differs from the anchor of %(at)s: the chain was rewritten")
                % {"id": anchor["last_id"], "at": anchor["at"]},
            )
    return AnchorReport(anchor)
