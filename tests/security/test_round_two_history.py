"""Security, round two (docs/security.md): a change history that cannot be cut (M6). The
database refuses UPDATE and DELETE on both vendors; the chain's head is anchored outside the
table (an HMAC-signed line in an append-only file and the log), and `verify_history` finds the
last entries cut off, all entries deleted, and a chain edited and recomputed."""

import json
import logging

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from duties.models import PartyBranch
from tests.security.helpers import history_unguarded
from xigang import history
from xigang.models import AuditEntry
from xigang.security.anchors import anchor_path, anchor_write


@pytest.fixture
def entries(office):
    with history.acting(office, "form"):
        for n in range(30):
            PartyBranch.objects.create(name=f"总支{n}")
    return list(AuditEntry.objects.order_by("id").values_list("id", flat=True))


def _verify() -> str:
    try:
        call_command("verify_history")
    except CommandError as exc:
        return str(exc)
    return ""


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE xigang_auditentry SET actor = 'someone'",
        "DELETE FROM xigang_auditentry",
        "DELETE FROM xigang_auditentry WHERE id = (SELECT max(id) FROM xigang_auditentry)",
    ],
)
def test_m6_the_database_refuses_to_rewrite_history_on_both_vendors(entries, sql):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEntry.objects.count() == len(entries)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_m6_truncate_is_refused_on_postgresql(entries):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE xigang_auditentry")


def test_m6_an_intact_history_matches_its_anchor_and_may_grow(entries, capsys):
    anchor = anchor_write()
    assert anchor["count"] == len(entries) and anchor["last_id"] == entries[-1]
    PartyBranch.objects.create(name="锚点之后")
    assert _verify() == ""
    assert "完好" in capsys.readouterr().out


def test_m6_verify_finds_the_last_entries_cut_off(entries):
    anchor_write()
    with history_unguarded(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM xigang_auditentry WHERE id > %s", [entries[-21]])
    assert history.verify_chain().ok  # the chain alone cannot see it
    problem = _verify()
    assert "记录缺失" in problem and f"{len(entries)} 条" in problem


def test_m6_verify_finds_all_entries_deleted(entries):
    anchor_write()
    with history_unguarded(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM xigang_auditentry")
    assert "表中只有 0 条" in _verify()


def test_m6_verify_finds_an_edited_and_recomputed_chain(entries):
    anchor_write()
    fields = ("id", "at", "hash", *history._HASHED)
    rows = list(AuditEntry.objects.order_by("id").values(*fields))
    rows[4]["object_repr"] = "改过的总支"
    prev = rows[3]["hash"]
    with history_unguarded(), connection.cursor() as cursor:
        for row in rows[4:]:  # recomputed from the edit on, as someone with the code could
            row["prev_hash"] = prev
            row["hash"] = prev = history._digest(row)
            cursor.execute(
                "UPDATE xigang_auditentry SET object_repr = %s, prev_hash = %s, hash = %s "
                "WHERE id = %s",
                [row["object_repr"], row["prev_hash"], row["hash"], row["id"]],
            )
    assert history.verify_chain().ok  # the chain alone cannot see it
    assert "哈希链已被重写" in _verify()


def test_m6_a_forged_anchor_is_refused(entries):
    anchor = anchor_write()
    forged = {**anchor, "count": 1, "mac": "0" * 64}
    with anchor_path().open("a", encoding="utf-8") as out:
        out.write(json.dumps(forged) + "\n")
    assert "伪造" in _verify()


def test_m6_the_anchor_goes_to_an_append_only_file_and_the_log(entries, caplog):
    with caplog.at_level(logging.INFO, logger="xigang.history.anchor"):
        call_command("anchor_history")
        call_command("anchor_history")
    lines = anchor_path().read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and json.loads(lines[-1])["head"]
    assert sum("history anchor" in r.getMessage() for r in caplog.records) == 2
