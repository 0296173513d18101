"""Ledgers `problems` (问题转交台账, art. 40) and `emergencies` (救急难台账, art. 40).

Each new row goes through the service a form uses (`problem_report` / `problem_resolve`,
`emergency_report` / `emergency_aid`), so due dates, the department routed to, the pairing cadre,
the 补录 mark, entry times and authors are set as when entered by hand. Planning checks the
services' rules first, so a file is refused with every reason at once and nothing written.

A recorded row is matched by its key (★) and only its resolution or aid may be added or
corrected by a ledger; its other cells must match what is recorded. A problem's key includes its
description: two problems of one category found the same day are two rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Cadre
from households.models import Household
from visits.checks import future_date_error
from visits.models import EmergencyCase, Problem, ProblemCategory
from visits.services import (
    can_resolve,
    emergency_aid,
    emergency_report,
    problem_report,
    problem_resolve,
)
from xigang.entry import entry_time
from xigang.ledgers import (
    Action,
    Column,
    LedgerKind,
    Report,
    Row,
    RowError,
    changes,
    choice_parser,
    parse_amount,
    parse_code,
    parse_date,
    register,
)
from xigang.scope import visible, writable


class CaseLedger(LedgerKind):
    """What both ledgers share: rows keyed by a household, cadres named by user name, the
    households and cadres a file names read in one query each, one service call per new row."""

    needs_author = True  # the services record who entered each row
    model: type[Problem] | type[EmergencyCase]
    key_attrs: tuple[str, ...]
    cadre_field: str  # the record's cadre named in the 帮扶责任人 / 上报人 column

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        keyed = [r for r in rows if all(r[a] is not None for a in self.key_attrs)]
        self.households = {
            h.number: h
            for h in writable(
                self.user, Household.objects.filter(number__in={r["household"] for r in keyed})
            )
        }
        names = {r["cadre"] for r in keyed if r["cadre"]}
        cadres = Cadre.objects.filter(user__username__in=names).select_related("user")
        self.cadres = {c.user.username: c for c in cadres}
        self.stored = {
            self.stored_key(record): record
            for record in visible(self.user, self.model.objects.all())
            .filter(household__in=self.households.values())
            .select_related(f"{self.cadre_field}__user")
        }
        self.today = timezone.localdate()
        first_row: dict[tuple, int] = {}
        actions = []
        for row in keyed:
            household = self.households.get(row["household"])
            if household is None:
                message = _("no household 「%(number)s」 that you may record for")
                report.errors.append(
                    RowError(row.number, "户编号", message % {"number": row["household"]})
                )
                continue
            key = (household.pk, *(row[a] for a in self.key_attrs[1:]))
            if key in first_row:
                message = _("the same record already appears in row %(row)d")
                report.errors.append(RowError(row.number, "", message % {"row": first_row[key]}))
                continue
            first_row[key] = row.number
            action = self.plan_row(row, household, self.stored.get(key), report)
            if action is not None:
                actions.append(action)
        return actions

    @property
    def author(self) -> User:
        return cast(User, self.user)  # needs_author: the engine writes for a signed-in user only

    def stored_key(self, record: Any) -> tuple:
        return (record.household_id, *(getattr(record, a) for a in self.key_attrs[1:]))

    def stored_cadre(self, record: Any) -> str | None:
        cadre = getattr(record, self.cadre_field)
        return cadre.user.username if cadre is not None and cadre.user is not None else None

    def known_cadre(self, row: Row, report: Report) -> bool:
        """Whether the cadre named by user name in 帮扶责任人 / 上报人, if any, exists."""
        if not row["cadre"] or row["cadre"] in self.cadres:
            return True
        message = _("no cadre 「%(name)s」") % {"name": row["cadre"]}
        report.errors.append(RowError(row.number, self.header_for("cadre"), message))
        return False

    def dates_error(self, row: Row, attrs: tuple[str, ...], report: Report) -> bool:
        """Reports each of the row's dates that is after today; whether any was."""
        found = False
        for attr in attrs:
            error = row[attr] and future_date_error(day=row[attr], today=self.today)
            if error:
                report.errors.append(RowError(row.number, self.header_for(attr), error))
                found = True
        return found

    def paired(self, row: Row, first: str, second: str, report: Report) -> bool:
        """Two cells that are filled together (a date and what was done); whether they are."""
        if (row[first] is None) != (row[second] is None):
            report.errors.append(
                RowError(
                    row.number,
                    self.header_for(second if row[second] is None else first),
                    _("「%(a)s」 and 「%(b)s」 are filled together")
                    % {"a": self.header_for(first), "b": self.header_for(second)},
                )
            )
            return False
        return True

    def plan_row(
        self, row: Row, household: Household, stored: Any, report: Report
    ) -> Action | None:
        raise NotImplementedError


@register
class ProblemLedger(CaseLedger):
    name = "problems"
    title = "西岗镇帮扶问题转交台账"
    model = Problem
    key_attrs = ("household", "category", "found_on", "description")
    cadre_field = "reported_by"
    columns = [
        Column("户编号", "household", parse_code, key=True, max_length=30),
        Column("户主姓名", "head_name"),  # exported for people to read; ignored on import
        Column("问题类别", "category", key=True, max_length=50),
        Column("发现日期", "found_on", parse_date, key=True),
        Column("问题描述", "description", key=True),
        Column("上报人", "cadre", max_length=150),
        Column("上报人姓名", "cadre_name"),  # exported beside the user name
        Column("责任部门", "department"),  # set by the category: exported only
        Column("办结期限", "due"),  # set by the days in force: exported only
        Column("办结日期", "resolved_on", parse_date),
        Column("办理情况", "resolution"),
    ]
    entry_headers = ["录入时间", "录入人", "办结录入时间", "办结录入人"]
    permission = "visits.add_problem"
    export_permission = "visits.view_problem"

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        self.categories = {c.name: c for c in ProblemCategory.objects.select_related("department")}
        self.category_names = {c.pk: name for name, c in self.categories.items()}
        return super().plan(rows, report)

    def stored_key(self, record: Any) -> tuple:
        # a file names the category, a record keeps its id
        category = self.category_names[record.category_id]
        return (record.household_id, category, record.found_on, record.description)

    def plan_row(
        self, row: Row, household: Household, stored: Any, report: Report
    ) -> Action | None:
        category = self.categories.get(row["category"])
        if category is None:
            message = _("「%(value)s」 is not one of: %(allowed)s") % {
                "value": row["category"],
                "allowed": " / ".join(self.categories),
            }
            report.errors.append(RowError(row.number, "问题类别", message))
            return None
        known = self.known_cadre(row, report)
        if self.dates_error(row, ("found_on", "resolved_on"), report) or not known:
            return None
        if not self.paired(row, "resolved_on", "resolution", report):
            return None
        resolved = row["resolved_on"] is not None
        if resolved and row["resolved_on"] < row["found_on"]:
            message = _("a problem cannot be resolved before it was found")
            report.errors.append(RowError(row.number, "办结日期", message))
            return None
        if stored is not None:
            if not self.keeps(row, {"cadre": self.stored_cadre(stored)}, report):
                return None
            if not resolved or (stored.resolved_on, stored.resolution) == (
                row["resolved_on"],
                row["resolution"],
            ):
                return Action("unchanged", row.number)
        probe = stored or Problem(department_id=category.department_id)
        if resolved and not can_resolve(self.user, probe):
            message = _("you may not resolve problems routed to another department")
            report.errors.append(RowError(row.number, "办结日期", message))
            return None
        payload = {
            "household": household.number,
            "category": category.name,
            "found_on": row["found_on"],
            "description": row["description"],
            "cadre": row["cadre"],
            "resolved_on": row["resolved_on"],
            "resolution": row["resolution"] or "",
        }
        if stored is not None:
            payload["id"] = stored.pk
            resolution = {"resolved_on": stored.resolved_on, "resolution": stored.resolution}
            changed = changes(resolution, {f: payload[f] for f in resolution})
            return Action("updated", row.number, payload, changed)
        return Action("created", row.number, payload)

    def apply(self, actions: list[Action]) -> None:
        for action in actions:
            if action.kind == "unchanged":
                continue
            row = action.payload
            if action.kind == "created":
                problem = problem_report(
                    household=self.households[row["household"]],
                    category=self.categories[row["category"]],
                    description=row["description"],
                    found_on=row["found_on"],
                    reported_by=self.cadres.get(row["cadre"]),
                    entered_by=self.author,
                )
            else:
                problem = Problem.objects.get(pk=row["id"])
            if row["resolved_on"] is not None:
                problem_resolve(
                    problem=problem,
                    resolution=row["resolution"],
                    resolved_on=row["resolved_on"],
                    user=self.author,
                )

    def export_rows(self) -> Iterator[tuple]:
        problems = self.exported(Problem.objects.all()).order_by(
            "household__number", "found_on", "id"
        )
        rows = problems.values_list(
            "household__number",
            "household__head_name",
            "category__name",
            "found_on",
            "description",
            "reported_by__user__username",
            "reported_by__name",
            "department__name",
            "due",
            "resolved_on",
            "resolution",
            "created_at",
            "entered_by__username",
            "resolved_at",
            "resolved_by__username",
        )
        for *cells, resolution, at, by, resolved_at, resolved_by in rows.iterator(chunk_size=2000):
            yield (
                *cells,
                resolution or None,
                entry_time(at),
                by,
                entry_time(resolved_at),
                resolved_by,
            )


@register
class EmergencyLedger(CaseLedger):
    name = "emergencies"
    title = "西岗镇救急难台账"
    model = EmergencyCase
    key_attrs = ("household", "occurred_on", "cause")
    cadre_field = "cadre"
    columns = [
        Column("户编号", "household", parse_code, key=True, max_length=30),
        Column("户主姓名", "head_name"),  # exported for people to read; ignored on import
        Column("发生日期", "occurred_on", parse_date, key=True),
        Column("原因", "cause", choice_parser(EmergencyCase.Cause.values), key=True),
        Column("支出金额", "expense", parse_amount, required=True, filled=True),
        Column("情况说明", "description"),
        Column("上报日期", "reported_on", parse_date, required=True, filled=True),
        # blank: the cadre paired with the household on the day of the event
        Column("帮扶责任人", "cadre", max_length=150),
        Column("帮扶责任人姓名", "cadre_name"),  # exported beside the user name
        Column("救助日期", "aided_on", parse_date),
        Column("救助金额", "aid_amount", parse_amount),
    ]
    entry_headers = ["录入时间", "录入人", "补录", "救助录入时间", "救助录入人"]
    permission = "visits.add_emergencycase"
    export_permission = "visits.view_emergencycase"

    def plan_row(
        self, row: Row, household: Household, stored: Any, report: Report
    ) -> Action | None:
        if row["expense"] is None or row["reported_on"] is None:
            return None  # the reader has said why
        known = self.known_cadre(row, report)
        if self.dates_error(row, ("occurred_on", "reported_on", "aided_on"), report) or not known:
            return None
        if not self.paired(row, "aided_on", "aid_amount", report):
            return None
        error = self._order_error(row)
        if error:
            report.errors.append(RowError(row.number, *error))
            return None
        aided = row["aided_on"] is not None
        if stored is not None:
            fixed = {
                "expense": stored.expense,
                "description": stored.description or None,
                "reported_on": stored.reported_on,
                "cadre": self.stored_cadre(stored),
            }
            if not self.keeps(row, fixed, report):
                return None
            if not aided or (stored.aided_on, stored.aid_amount) == (
                row["aided_on"],
                row["aid_amount"],
            ):
                return Action("unchanged", row.number)
        if aided and not self.user.has_perm("visits.change_emergencycase"):
            report.errors.append(
                RowError(row.number, "救助日期", _("you may not record aid for this case"))
            )
            return None
        payload = {
            f: row[f]
            for f in ("occurred_on", "cause", "expense", "reported_on", "aided_on", "aid_amount")
        }
        payload |= {
            "household": household.number,
            "description": row["description"] or "",
            "cadre": row["cadre"],
        }
        if stored is not None:
            payload["id"] = stored.pk
            aid = {"aided_on": stored.aided_on, "aid_amount": stored.aid_amount}
            changed = changes(aid, {f: payload[f] for f in aid})
            return Action("updated", row.number, payload, changed)
        return Action("created", row.number, payload)

    @staticmethod
    def _order_error(row: Row) -> tuple[str, str] | None:
        """The services' order of dates and the aid's amount, as (header, message)."""
        if row["reported_on"] < row["occurred_on"]:
            return "上报日期", _("a case cannot be reported before the event happened")
        if row["aided_on"] is not None and row["aided_on"] < row["reported_on"]:
            return "救助日期", _("aid cannot be given before the case was reported")
        if row["aid_amount"] is not None and row["aid_amount"] <= 0:
            return "救助金额", _("the aid must be more than zero")
        if row["expense"] < 0:
            return "支出金额", _("an amount cannot be negative")
        return None

    def apply(self, actions: list[Action]) -> None:
        for action in actions:
            if action.kind == "unchanged":
                continue
            row = action.payload
            if action.kind == "created":
                case = emergency_report(
                    household=self.households[row["household"]],
                    cause=row["cause"],
                    expense=row["expense"],
                    occurred_on=row["occurred_on"],
                    reported_on=row["reported_on"],
                    description=row["description"],
                    cadre=self.cadres.get(row["cadre"]),
                    entered_by=self.author,
                )
            else:
                case = EmergencyCase.objects.get(pk=row["id"])
            if row["aided_on"] is not None:
                emergency_aid(
                    case=case,
                    aided_on=row["aided_on"],
                    aid_amount=row["aid_amount"],
                    user=self.author,
                )

    def export_rows(self) -> Iterator[tuple]:
        cases = self.exported(EmergencyCase.objects.all()).order_by(
            "household__number", "occurred_on", "id"
        )
        rows = cases.values_list(
            "household__number",
            "household__head_name",
            "occurred_on",
            "cause",
            "expense",
            "description",
            "reported_on",
            "cadre__user__username",
            "cadre__name",
            "aided_on",
            "aid_amount",
            "created_at",
            "entered_by__username",
            "late_entry",
            "aided_at",
            "aided_by__username",
        )
        for (
            *head,
            description,
            reported_on,
            username,
            name,
            aided_on,
            aid,
            at,
            by,
            late,
            aided_at,
            aided_by,
        ) in rows.iterator(chunk_size=2000):
            yield (
                *head,
                description or None,
                reported_on,
                username,
                name,
                aided_on,
                aid,
                entry_time(at),
                by,
                "是" if late else None,
                entry_time(aided_at),
                aided_by,
            )
