"""The `visits` ledger (帮扶记录), as docs/ledger-formats.md says.

Key: 户编号 + 帮扶责任人 + 方式 + 日期. Planning reads the households, cadres, pairings and
existing visits the file refers to in one query each, so a file of thousands of rows costs a
handful of queries; writing is one bulk insert and one bulk update. No future date
(`visits.checks`, as the service). A visit by a cadre not paired with the household that day
(history: a 包村干部 going along) is kept, marked `not_counted` with the service's words for why
it does not count for art. 39, instead of refusing the file. Created visits carry their import.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Cadre
from households.checks import pairing_spans
from households.models import Household
from visits.checks import closed_month_error, content_error, future_date_error, unpaired_error
from visits.models import Visit
from visits.services import EntryTerms, may_accept_late
from xigang.entry import entry_time, go_live
from xigang.ledgers import (
    Action,
    Column,
    LedgerKind,
    Report,
    Row,
    RowError,
    changes,
    choice_parser,
    parse_code,
    parse_date,
    register,
)
from xigang.models import import_mark_of
from xigang.obligations import state_refresh
from xigang.scope import visible

TEXT_FIELDS = ("content", "problems_found")


@register
class VisitLedger(LedgerKind):
    name = "visits"
    title = "西岗镇帮扶记录台账"
    columns = [
        Column("户编号", "household", parse_code, key=True, max_length=30),
        Column("帮扶责任人", "cadre", key=True, max_length=150),
        # exported beside the user name for people to read; importing goes by the user name
        Column("帮扶责任人姓名", "cadre_name", max_length=50),
        Column("方式", "kind", choice_parser(Visit.Kind.values), key=True),
        Column("日期", "on", parse_date, key=True),
        Column("内容", "content"),
        Column("发现问题", "problems_found"),
        # 扶贫办 only, for a visit of a month already closed (a 补录 accepted).
        Column("补录原因", "late_reason"),
        # Exported for inspectors, ignored on import (the import sets both itself).
        Column("导入", "imported"),
        Column("不计入第39条原因", "not_counted"),
    ]
    entry_headers = ["录入时间", "录入人", "补录"]
    permission = "visits.add_visit"
    export_permission = "visits.view_visit"

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        keyed = [
            r for r in rows if all(r[a] is not None for a in ("household", "cadre", "kind", "on"))
        ]
        self._households = dict(
            visible(
                self.user, Household.objects.filter(number__in={r["household"] for r in keyed})
            ).values_list("number", "pk")
        )
        self._cadres: dict[str, tuple[int | None, str]] = {
            username: (pk, name)
            for username, pk, name in Cadre.objects.filter(
                user__username__in={r["cadre"] for r in keyed}
            ).values_list("user__username", "pk", "name")
        }
        self._pairings = pairing_spans(household_ids=self._households.values())
        self._existing = {
            (v.household_id, v.cadre_id, v.kind, v.on): v
            for v in Visit.objects.filter(household_id__in=self._households.values())
        }
        self._today = timezone.localdate()
        self._terms = EntryTerms.read()
        self._go_live = go_live()
        self._may_accept = may_accept_late(self.user)
        first_row: dict[tuple, int] = {}
        actions = []
        for row in keyed:
            key = self._key(row, report)
            if key is None:
                continue
            if key in first_row:
                message = _("the same visit already appears in row %(row)d") % {
                    "row": first_row[key]
                }
                report.errors.append(RowError(row.number, "", message))
                continue
            first_row[key] = row.number
            actions.append(self._action(row, key))
        return actions

    def _key(self, row: Row, report: Report) -> tuple | None:
        """(household, cadre, kind, date) of a row naming a household and a cadre it may, and
        that the rules of a visit accept; otherwise its error is reported."""
        household_id = self._households.get(row["household"])
        cadre_id, cadre_name = self._cadres.get(row["cadre"], (None, ""))
        error: tuple[str, str] | None
        if household_id is None:
            message = _("no household 「%(number)s」 that you may record for")
            error = ("户编号", message % {"number": row["household"]})
        elif cadre_id is None:
            error = ("帮扶责任人", _("no cadre 「%(name)s」") % {"name": row["cadre"]})
        else:
            error = self._rule_error(row, household_id, cadre_id)
        if error is not None:
            report.errors.append(RowError(row.number, *error))
            return None
        return (household_id, cadre_id, row["kind"], row["on"])

    def _not_counted(self, row: Row, key: tuple) -> str:
        """Why a visit of history does not count for art. 39 (its cadre was not paired with the
        household that day, e.g. a 包村干部 going along), or "": it is kept, marked, not refused."""
        household_id, cadre_id, _kind, on = key
        return (
            unpaired_error(
                cadre_id=cadre_id,
                cadre_name=self._cadres[row["cadre"]][1],
                household_number=row["household"],
                on=on,
                pairings=self._pairings.get(household_id, {}).values(),
            )
            or ""
        )

    def _rule_error(self, row: Row, household_id: int, cadre_id: int) -> tuple[str, str] | None:
        """The (header, message) of a rule of a visit that the row breaks, or None. A visit by
        someone not paired that day is no error: it is kept and marked (`_not_counted`)."""
        error = future_date_error(day=row["on"], today=self._today)
        if error:
            return "日期", error
        existing = self._existing.get((household_id, cadre_id, row["kind"], row["on"]))
        if existing is not None:
            # Only a changed text is checked: a round trip of older records changes nothing.
            content = row["content"] or ""
            if "content" in row.present and content != existing.content:
                error = content_error(content)
                return ("内容", error) if error else None
            return None
        error = content_error(row["content"] or "")
        if error:
            return "内容", error
        if row["on"] < self._go_live:
            return None  # history: neither late nor closed (xigang.entry)
        closed = closed_month_error(
            on=row["on"],
            closes_on=self._terms.closes_on(row["on"]),
            today=self._today,
            may_accept=self._may_accept,
            reason=row["late_reason"] or "",
        )
        if closed:
            return ("日期" if closed[0] == "on" else "补录原因"), closed[1]
        return None

    def _action(self, row: Row, key: tuple) -> Action:
        wanted = {f: (row[f] or "") for f in TEXT_FIELDS if f in row.present}
        visit = self._existing.get(key)
        if visit is None:
            household_id, cadre_id, kind, on = key
            fields = {f: wanted.get(f, "") for f in TEXT_FIELDS}
            late = on >= self._go_live and self._terms.late_entry(on, self._today)
            return Action(
                "created",
                row.number,
                Visit(
                    household_id=household_id,
                    cadre_id=cadre_id,
                    kind=kind,
                    on=on,
                    not_counted=self._not_counted(row, key)[:300],
                    entered_by=self.user if self.user.is_authenticated else None,
                    late_entry=late,
                    late_reason=(row["late_reason"] or "").strip() if late else "",
                    **fields,
                ),
            )
        changed = changes({f: getattr(visit, f) for f in wanted}, wanted)
        for field in changed:
            setattr(visit, field, wanted[field])
        return Action("updated" if changed else "unchanged", row.number, visit, changed)

    def apply(self, actions: list[Action]) -> None:
        created = [a.payload for a in actions if a.kind == "created"]
        for visit in created:
            visit.imported_in = self.ledger_import
        Visit.objects.bulk_create(created, batch_size=2000)
        Visit.objects.bulk_update(
            [a.payload for a in actions if a.kind == "updated"], TEXT_FIELDS, batch_size=2000
        )
        state_refresh(households={visit.household_id for visit in created})  # once per import

    def export_rows(self) -> Iterator[tuple]:
        visits = self.exported(Visit.objects.all()).order_by(
            "household__number", "on", "kind", "cadre__user__username"
        )
        rows = visits.values_list(
            "household__number",
            "cadre__user__username",
            "cadre__name",
            "kind",
            "on",
            "content",
            "problems_found",
            "late_reason",
            "imported_in__file_name",
            "imported_in__imported_at",
            "not_counted",
            "created_at",
            "entered_by__username",
            "late_entry",
        )
        for (
            number,
            username,
            name,
            kind,
            on,
            content,
            problems,
            reason,
            file_name,
            imported_at,
            not_counted,
            at,
            by,
            late,
        ) in rows.iterator(chunk_size=5000):
            yield (
                number,
                username,
                name,
                kind,
                on,
                content or None,
                problems or None,
                reason or None,
                import_mark_of(file_name, imported_at) or None,
                not_counted or None,
                entry_time(at),
                by,
                "是" if late else None,
            )


# The app's other ledgers, registered with this one: the 走访记录 sheet (names instead of
# numbers, planned by this ledger), problems and 救急难 cases.
from visits.case_ledgers import EmergencyLedger, ProblemLedger  # noqa: E402
from visits.visit_sheet import VisitSheetLedger  # noqa: E402

__all__ = ["EmergencyLedger", "ProblemLedger", "VisitLedger", "VisitSheetLedger"]
