"""Ledger `pairings` (结对帮扶): every row checked with `households.checks` against the pairings
in the register and the file's other rows (a handover may be split over two rows), then
written in bulk."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.utils.translation import gettext as _

from duties.models import Cadre
from households.checks import (
    PairingSpan,
    closed_household_error,
    pairing_dates_error,
    pairing_overlap_error,
    pairing_spans,
)
from households.ledgers.common import (
    BATCH,
    duplicate_keys,
    household_numbers,
    rows_in_scope,
)
from households.models import Pairing
from xigang import roles
from xigang.ledgers import (
    Action,
    Column,
    LedgerKind,
    Report,
    Row,
    RowError,
    parse_code,
    parse_date,
    register,
)
from xigang.models import import_mark_of
from xigang.obligations import state_refresh

SpanKey = tuple[str, int]  # ("db", pairing id) or ("row", Excel row number)


@register
class PairingLedger(LedgerKind):
    name = "pairings"
    title = "西岗镇结对帮扶台账"
    columns = [
        Column("户编号", "household", parse_code, key=True, max_length=30),
        Column("帮扶责任人", "cadre", key=True, max_length=150),
        # exported beside the user name for people to read; importing goes by the user name
        Column("帮扶责任人姓名", "cadre_name", max_length=50),
        Column("开始日期", "start", parse_date, key=True),
        Column("结束日期", "end", parse_date),
        Column("导入", "imported"),  # exported for inspectors, ignored on import
    ]
    permission = "households.add_pairing"
    export_permission = "households.view_pairing"

    @staticmethod
    def _key(row: Row) -> tuple | None:
        key = (row["household"], row["cadre"], row["start"])
        return None if None in key else key

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        refused = duplicate_keys(rows, self._key, "户编号", report)
        households, scope = household_numbers(self.user)
        self._cadres = {
            c["user__username"]: c for c in Cadre.objects.values("id", "name", "user__username")
        }
        self._pairing_cadres = set(
            Group.objects.filter(name=roles.PAIRING).values_list("user__username", flat=True)
        )
        # Each household's spans: the register's by ("db", id), the file's new ones by
        # ("row", number); a row that changes a registered pairing replaces its span.
        self._spans: dict[int, dict[SpanKey, PairingSpan]] = defaultdict(dict)
        self._existing: dict[tuple, int] = {}
        self._registered_end: dict[int, datetime.date | None] = {}
        for household_id, by_id in pairing_spans().items():
            for pk, span in by_id.items():
                self._spans[household_id][("db", pk)] = span
                self._existing[(household_id, span.cadre_id, span.start)] = pk
                self._registered_end[pk] = span.end
        planned = []
        for row, household in rows_in_scope(rows, self._key, refused, households, scope, report):
            plan = self._plan_row(row, household, report)
            if plan is not None:
                planned.append(plan)
        # Overlaps, once every row's span is known.
        return [action for plan in planned if (action := self._action(*plan, report))]

    def _plan_row(
        self, row: Row, household: dict[str, Any], report: Report
    ) -> tuple[Row, int, SpanKey] | None:
        """The row's span among its household's, once its own checks pass."""
        cadre = self._cadres.get(row["cadre"])
        if cadre is None or row["cadre"] not in self._pairing_cadres:
            message = _("no pairing cadre (帮扶责任人) has the user name 「%(name)s」") % {
                "name": row["cadre"]
            }
            report.errors.append(RowError(row.number, "帮扶责任人", message))
            return None
        pk = self._existing.get((household["id"], cadre["id"], row["start"]))
        error = (
            closed_household_error(status=household["status"], end=row["end"])
            if pk is None
            else None
        )
        if error:
            report.errors.append(RowError(row.number, "户编号", error))
            return None
        error = pairing_dates_error(start=row["start"], end=row["end"])
        if error:
            report.errors.append(RowError(row.number, "结束日期", error))
            return None
        span_key = ("db", pk) if pk is not None else ("row", row.number)
        self._spans[household["id"]][span_key] = PairingSpan(
            row["start"], row["end"], cadre["id"], cadre["name"]
        )
        return row, household["id"], span_key

    def _action(
        self, row: Row, household_id: int, span_key: SpanKey, report: Report
    ) -> Action | None:
        span = self._spans[household_id][span_key]
        others = [s for key, s in self._spans[household_id].items() if key != span_key]
        error = pairing_overlap_error(start=span.start, end=span.end, others=others)
        if error:
            report.errors.append(RowError(row.number, "开始日期", error))
            return None
        kind, pk = span_key
        if kind == "row":
            payload = {
                "household_id": household_id,
                "cadre_id": span.cadre_id,
                "start": span.start,
                "end": span.end,
            }
            return Action("created", row.number, payload)
        if self._registered_end[pk] != span.end:
            changed = {"end": self._registered_end[pk]}
            return Action("updated", row.number, {"id": pk, "end": span.end}, changed)
        return Action("unchanged", row.number)

    def apply(self, actions: list[Action]) -> None:
        Pairing.objects.bulk_update(
            [Pairing(**a.payload) for a in actions if a.kind == "updated"], ["end"], batch_size=500
        )
        Pairing.objects.bulk_create(
            [
                Pairing(**a.payload, imported_in=self.ledger_import)
                for a in actions
                if a.kind == "created"
            ],
            batch_size=BATCH,
        )
        # Once per import, for the households whose pairings changed.
        ended = [a.payload["id"] for a in actions if a.kind == "updated"]
        households = {a.payload["household_id"] for a in actions if a.kind == "created"}
        households.update(
            Pairing.objects.filter(pk__in=ended).values_list("household_id", flat=True)
        )
        state_refresh(households=households)

    def export_rows(self) -> Iterable[tuple]:
        pairings = self.exported(Pairing.objects.all()).order_by("household__number", "start")
        for number, username, name, start, end, file_name, imported_at in pairings.values_list(
            "household__number",
            "cadre__user__username",
            "cadre__name",
            "start",
            "end",
            "imported_in__file_name",
            "imported_in__imported_at",
        ).iterator(chunk_size=5000):
            yield (
                number,
                username,
                name,
                start,
                end,
                import_mark_of(file_name, imported_at) or None,
            )
