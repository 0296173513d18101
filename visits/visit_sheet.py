"""Ledger `visit_sheet` (走访记录): the sheet offices keep of visits, naming the household by its
head (户主姓名, within its 村) and the cadre by name, without 户编号 or user names. Each row is
resolved to a household number and a user name, then planned and written by the `visits`
ledger: every rule of a visit applies (paired that day, no future date).

A household is found by 户编号 when the sheet has it, else by 户主姓名 within the 村 (or among
the households the user keeps when there is no 村 column); a cadre by name, narrowed to those
ever paired with the household when several share it. Several matches refuse the row
(ambiguous), naming the candidates' numbers or user names only from the user's scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from duties.models import Cadre
from households.models import Household, Pairing
from visits.ledgers import VisitLedger
from visits.models import Visit
from xigang.ledgers import (
    Action,
    Column,
    LedgerError,
    LedgerKind,
    Report,
    Row,
    RowError,
    borrowed,
    choice_parser,
    register,
)
from xigang.scope import visible

KIND_SPELLINGS = {
    "入户走访": Visit.Kind.HOME,
    "上门走访": Visit.Kind.HOME,
    "走访": Visit.Kind.HOME,
    "电话联系": Visit.Kind.PHONE,
    "电话回访": Visit.Kind.PHONE,
    "电话走访": Visit.Kind.PHONE,
}


@register
class VisitSheetLedger(LedgerKind):
    name = "visit_sheet"
    title = "西岗镇走访记录"
    columns = [
        borrowed(VisitLedger, "户编号", "household"),
        Column("村", "village", max_length=50),
        Column("户主姓名", "head_name", max_length=50),
        Column("帮扶责任人姓名", "cadre_name", required=True, filled=True, max_length=50),
        Column(
            "方式",
            "kind",
            choice_parser(Visit.Kind.values, KIND_SPELLINGS),
            required=True,
            filled=True,
        ),
        borrowed(VisitLedger, "日期", "on", required=True, filled=True),
        borrowed(VisitLedger, "内容", "content"),
        borrowed(VisitLedger, "发现问题", "problems_found"),
    ]
    permission = "visits.add_visit"
    export_permission = "visits.view_visit"

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        present = rows[0].present if rows else frozenset()
        if rows and not ({"household", "head_name"} & present):
            raise LedgerError(
                _("the file is refused: it names the households by neither 户编号 nor 户主姓名")
            )
        households = visible(self.user, Household.objects.all())
        by_head: dict[tuple[str | None, str], list[str]] = {}
        numbers: dict[str, int] = {}
        for pk, kept, village, head in households.values_list(
            "pk", "number", "village__name", "head_name"
        ):
            numbers[kept] = pk
            by_head.setdefault((village, head), []).append(kept)
            by_head.setdefault((None, head), []).append(kept)
        names = {row["cadre_name"] for row in rows if row["cadre_name"]}
        cadres: dict[str, list[tuple[int, str]]] = {}
        for pk, name, login in visible(self.user, Cadre.objects.filter(name__in=names)).values_list(
            "pk", "name", "user__username"
        ):
            cadres.setdefault(name, []).append((pk, login))
        paired = set(
            Pairing.objects.filter(household_id__in=numbers.values()).values_list(
                "household__number", "cadre_id"
            )
        )
        visit_rows = []
        for row in rows:
            number = self._household(row, by_head, report)
            username = self._cadre(row, number, cadres, paired, report) if number else None
            if number and username:
                values = {**row.values, "household": number, "cadre": username}
                visit_rows.append(Row(row.number, values, VISIT_ATTRS & (row.present | KEYS)))
        self._visits = VisitLedger(self.user)
        self._actions = self._visits.plan(visit_rows, report)
        return self._actions

    def _household(
        self, row: Row, by_head: dict[tuple[str | None, str], list[str]], report: Report
    ) -> str | None:
        if row["household"]:
            return str(row["household"])  # the visits ledger checks it exists in scope
        if not row["head_name"]:
            report.errors.append(RowError(row.number, "户主姓名", _("must not be empty")))
            return None
        found = by_head.get((row["village"], row["head_name"]), [])
        if len(found) == 1:
            return found[0]
        message = (
            _("no household of 「%(village)s」 has the head 「%(name)s」")
            if not found
            else _(
                "several households of 「%(village)s」 have the head 「%(name)s」 "
                "(%(numbers)s): add the 户编号"
            )
        )
        report.errors.append(
            RowError(
                row.number,
                "户主姓名",
                message
                % {
                    "village": row["village"] or _("your villages"),
                    "name": row["head_name"],
                    "numbers": "、".join(found),
                },
            )
        )
        return None

    @staticmethod
    def _cadre(
        row: Row,
        number: str,
        cadres: dict[str, list[tuple[int, str]]],
        paired: set[tuple[str, int]],
        report: Report,
    ) -> str | None:
        if not row["cadre_name"]:
            return None  # refused as empty already
        found = cadres.get(row["cadre_name"], [])
        if len(found) > 1:
            found = [c for c in found if (number, c[0]) in paired]
        if len(found) == 1:
            return found[0][1]
        message = (
            _("no cadre is called 「%(name)s」")
            if not found
            else _("several cadres called 「%(name)s」 were paired with the household (%(who)s)")
        )
        report.errors.append(
            RowError(
                row.number,
                "帮扶责任人姓名",
                message % {"name": row["cadre_name"], "who": "、".join(u for _pk, u in found)},
            )
        )
        return None

    def apply(self, actions: list[Action]) -> None:
        self._visits.ledger_import = self.ledger_import  # its rows carry this import's mark
        self._visits.apply(actions)

    def export_rows(self) -> Iterable[tuple[Any, ...]]:
        visits = self.exported(Visit.objects.all()).order_by("household__number", "on", "kind")
        for *row, content, problems in visits.values_list(
            "household__number",
            "household__village__name",
            "household__head_name",
            "cadre__name",
            "kind",
            "on",
            "content",
            "problems_found",
        ).iterator(chunk_size=5000):
            yield (*row, content or None, problems or None)


KEYS = frozenset({"household", "cadre", "kind", "on"})
VISIT_ATTRS = KEYS | {"content", "problems_found"}
