"""Ledgers `plans` (一户一策台账) and `measures` (帮扶措施落实台账), exported for the office,
villages, cadres and (measures) departments, each within the user's scope, and imported through
the services of `households.plans`, so steps, measures and deliveries carry the importer as
author and the server's entry time.

A plan is keyed by 户编号 + 年度: its recorded steps must match the file, new steps are recorded
in order (the service's refusals become row errors before anything is written). 镇审批 is an
action on the household page: its columns are exported only. A measure is keyed by 户编号 +
年度 + 帮扶措施: a file may add it, or add its delivery (落实日期 and 佐证), nothing else.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any, cast

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from duties.models import Department
from households.models import HelpMeasure, HelpPlan, Household, PlanStep
from households.plans import (
    ORDER,
    closed_error,
    delivery_errors,
    measure_add,
    measure_deliver,
    plan_start,
    plan_step_error,
    plan_step_record,
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
    parse_int,
    register,
)
from xigang.scope import visible, writable

STEP_HEADERS = {
    PlanStep.Step.SURVEY: "入户调查日期",
    PlanStep.Step.CAUSES: "致贫原因分析日期",
    PlanStep.Step.MEASURES: "措施制定日期",
    PlanStep.Step.VILLAGE: "村级审核日期",
    PlanStep.Step.REVIEW: "动态调整日期",
}
# The steps a file may record, in the order they are recorded.
FILE_STEPS = [*ORDER, PlanStep.Step.REVIEW]


class PlanLedgerBase(LedgerKind):
    """What both ledgers share: rows keyed by a household the user may write for (one query)
    and a year, a key once per file, the importer as author."""

    needs_author = True  # steps and deliveries record who entered them
    key_attrs: tuple[str, ...]

    @property
    def author(self) -> User:
        return cast(User, self.user)  # needs_author: the engine writes for a signed-in user only

    def keyed_rows(self, rows: list[Row], report: Report) -> Iterator[tuple[Row, Household]]:
        keyed = [r for r in rows if all(r[a] is not None for a in self.key_attrs)]
        self.households = {
            h.number: h
            for h in writable(
                self.user, Household.objects.filter(number__in={r["household"] for r in keyed})
            )
        }
        first_row: dict[tuple, int] = {}
        for row in keyed:
            household = self.households.get(row["household"])
            if household is None:
                message = _("no household 「%(number)s」 that you may record for")
                report.errors.append(
                    RowError(row.number, "户编号", message % {"number": row["household"]})
                )
                continue
            key = tuple(row[a] for a in self.key_attrs)
            if key in first_row:
                message = _("the same record already appears in row %(row)d")
                report.errors.append(RowError(row.number, "", message % {"row": first_row[key]}))
                continue
            first_row[key] = row.number
            yield row, household

    def stored_plans(self) -> dict[tuple[str, int], HelpPlan]:
        """The plans of the households the file names, by (户编号, 年度) (one query)."""
        plans = visible(self.user, HelpPlan.objects.all()).filter(
            household__in=self.households.values()
        )
        return {(p.household.number, p.year): p for p in plans.select_related("household")}


@register
class PlanLedger(PlanLedgerBase):
    name = "plans"
    title = "西岗镇一户一策帮扶计划台账"
    permission = "households.add_helpplan"
    export_permission = "households.view_helpplan"
    key_attrs = ("household", "year")
    columns = [
        Column("户编号", "household", parse_code, key=True, max_length=30),
        # exported for people to read, ignored on import ("village" is a step's attr)
        Column("村", "village_name"),
        Column("户主", "head"),  # likewise
        Column("年度", "year", parse_int, key=True),
        Column("帮扶计划", "summary"),
        *(Column(STEP_HEADERS[step], step, parse_date) for step in ORDER),
        Column("镇审批日期", "approved_on"),  # an action on the household page: exported only
        Column("审批人", "approved_by"),  # likewise
        Column(STEP_HEADERS[PlanStep.Step.REVIEW], PlanStep.Step.REVIEW, parse_date),
    ]

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        keyed = list(self.keyed_rows(rows, report))
        plans = self.stored_plans()
        done: dict[int, dict[str, datetime.date]] = {}
        for plan_id, step, done_on in PlanStep.objects.filter(plan__in=plans.values()).values_list(
            "plan_id", "step", "done_on"
        ):
            done.setdefault(plan_id, {})[step] = done_on
        actions = []
        for row, household in keyed:
            stored = plans.get((household.number, row["year"]))
            action = self._plan_row(row, household, stored, done, report)
            if action is not None:
                actions.append(action)
        return actions

    def _plan_row(
        self,
        row: Row,
        household: Household,
        stored: HelpPlan | None,
        done: dict[int, dict[str, datetime.date]],
        report: Report,
    ) -> Action | None:
        if stored is None:
            error = closed_error(household)
            if error:
                report.errors.append(RowError(row.number, "户编号", error))
                return None
            plan, recorded = HelpPlan(household=household, year=row["year"]), {}
        else:
            plan, recorded = stored, dict(done.get(stored.pk, {}))
            if not self.keeps(row, {"summary": stored.summary}, report):
                return None
        kept = self.keeps(row, {s: recorded[s] for s in FILE_STEPS if s in recorded}, report)
        new = []
        for step in FILE_STEPS:
            if row[step] is None or step in recorded:
                continue
            error = plan_step_error(plan=plan, step=step, done_on=row[step], done=recorded)
            if error:
                report.errors.append(RowError(row.number, STEP_HEADERS[step], error))
                return None
            recorded[step] = row[step]
            new.append((step, row[step]))
        if not kept:
            return None
        if stored is not None and not new:
            return Action("unchanged", row.number)
        payload = {"household": household, "year": row["year"], "plan": stored, "steps": new}
        payload["summary"] = row["summary"] or ""
        if stored is None:
            return Action("created", row.number, payload)
        return Action("updated", row.number, payload, dict.fromkeys(s for s, _day in new))

    def apply(self, actions: list[Action]) -> None:
        for action in actions:
            if action.kind == "unchanged":
                continue
            row = action.payload
            plan = row["plan"] or plan_start(
                household=row["household"], year=row["year"], summary=row["summary"]
            )
            for step, done_on in row["steps"]:
                plan_step_record(plan=plan, step=step, done_on=done_on, by=self.author)

    def export_rows(self) -> Iterator[tuple[object, ...]]:
        plans = self.exported(HelpPlan.objects.all())
        steps: dict[int, dict[str, object]] = {}
        for plan_id, step, done_on in PlanStep.objects.filter(
            plan_id__in=plans.values("id")
        ).values_list("plan_id", "step", "done_on"):
            steps.setdefault(plan_id, {})[step] = done_on
        for pk, number, village, head, year, summary, approved_on, approved_by in plans.order_by(
            "household__number", "year"
        ).values_list(
            "id",
            "household__number",
            "household__village__name",
            "household__head_name",
            "year",
            "summary",
            "approved_on",
            "approved_by__username",
        ):
            done = steps.get(pk, {})
            yield (
                number,
                village,
                head,
                year,
                summary,
                *(done.get(step) for step in ORDER),
                approved_on,
                approved_by,
                done.get(PlanStep.Step.REVIEW),
            )


@register
class MeasureLedger(PlanLedgerBase):
    name = "measures"
    title = "西岗镇帮扶措施落实台账"
    permission = "households.add_helpmeasure"
    export_permission = "households.view_helpmeasure"
    key_attrs = ("household", "year", "kind")
    columns = [
        Column("户编号", "household", parse_code, key=True, max_length=30),
        Column("村", "village"),  # exported for people to read; ignored on import
        Column("年度", "year", parse_int, key=True),
        Column("帮扶措施", "kind", choice_parser(HelpMeasure.Kind.values), key=True),
        Column("责任部门", "department", max_length=50),
        Column("应完成日期", "due", parse_date),
        Column("金额（元）", "amount", parse_amount),
        Column("状态", "status"),  # follows from the delivery: exported only
        Column("落实日期", "done_on", parse_date),
        Column("佐证", "evidence", max_length=200),
    ]
    entry_headers = ["录入人", "录入时间"]

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        keyed = list(self.keyed_rows(rows, report))
        plans = self.stored_plans()
        self.departments = {d.name: d for d in Department.objects.all()}
        stored: dict[tuple, list[HelpMeasure]] = {}
        for measure in HelpMeasure.objects.filter(plan__in=plans.values()).select_related(
            "plan__household", "department"
        ):
            key = (measure.plan.household.number, measure.plan.year, measure.kind)
            stored.setdefault(key, []).append(measure)
        actions = []
        for row, household in keyed:
            plan = plans.get((household.number, row["year"]))
            if plan is None:
                message = _("household %(number)s has no plan for %(year)d") % {
                    "number": household.number,
                    "year": row["year"],
                }
                report.errors.append(RowError(row.number, "年度", message))
                continue
            action = self._plan_row(
                row, plan, stored.get((household.number, row["year"], row["kind"]), []), report
            )
            if action is not None:
                actions.append(action)
        return actions

    def _plan_row(
        self, row: Row, plan: HelpPlan, stored: list[HelpMeasure], report: Report
    ) -> Action | None:
        if len(stored) > 1:
            message = _("the plan has several measures 「%(kind)s」: change them on its page") % {
                "kind": row["kind"]
            }
            report.errors.append(RowError(row.number, "帮扶措施", message))
            return None
        measure = stored[0] if stored else None
        department = self._department(row, report)
        if department is False:
            return None
        if measure is None:
            if row["due"] is None:
                report.errors.append(
                    RowError(row.number, "应完成日期", _("give the day the measure is due"))
                )
                return None
            measure = HelpMeasure(plan=plan, kind=row["kind"])
            kind = "created"
        else:
            fixed: dict[str, Any] = {
                "department": measure.department.name,
                "due": measure.due,
                "amount": measure.amount,
            }
            if measure.done_on is not None:
                fixed |= {"done_on": measure.done_on, "evidence": measure.evidence}
            if not self.keeps(row, fixed, report):
                return None
            if measure.done_on is not None or row["done_on"] is None:
                return Action("unchanged", row.number)
            kind = "updated"
        if row["done_on"] is not None:
            evidence = row["evidence"] or ""
            errors = delivery_errors(
                measure=measure, done_on=row["done_on"], evidence=evidence, has_file=False
            )
            for field, message in errors.items():
                report.errors.append(RowError(row.number, self.header_for(field), message))
            if errors:
                return None
        elif row["evidence"]:
            message = _("「%(a)s」 and 「%(b)s」 are filled together") % {
                "a": "落实日期",
                "b": "佐证",
            }
            report.errors.append(RowError(row.number, "落实日期", message))
            return None
        payload = {"measure": measure, "department": department}
        payload |= {f: row[f] for f in ("kind", "due", "amount", "done_on", "evidence")}
        if kind == "created":
            return Action(kind, row.number, payload)
        stored_delivery = {"done_on": measure.done_on, "evidence": measure.evidence or None}
        changed = changes(stored_delivery, {f: row[f] for f in ("done_on", "evidence")})
        return Action(kind, row.number, payload, changed)

    def _department(self, row: Row, report: Report) -> Department | None | bool:
        """The department a row names, None when blank, False (and the error) when unknown."""
        if not row["department"]:
            return None
        department = self.departments.get(row["department"])
        if department is None:
            message = _("no department 「%(name)s」") % {"name": row["department"]}
            report.errors.append(RowError(row.number, "责任部门", message))
            return False
        return department

    def apply(self, actions: list[Action]) -> None:
        for action in actions:
            if action.kind == "unchanged":
                continue
            row = action.payload
            measure = row["measure"]
            if action.kind == "created":
                measure = measure_add(
                    plan=measure.plan,
                    kind=row["kind"],
                    due=row["due"],
                    department=row["department"],
                    amount=row["amount"],
                )
            if row["done_on"] is not None:
                measure_deliver(
                    measure=measure,
                    done_on=row["done_on"],
                    by=self.author,
                    evidence=row["evidence"],
                )

    def export_rows(self) -> Iterator[tuple[object, ...]]:
        measures = self.exported(HelpMeasure.objects.all()).order_by(
            "plan__household__number", "plan__year", "due", "id"
        )
        statuses = dict(HelpMeasure.Status.choices)
        for row in measures.values_list(
            "plan__household__number",
            "plan__household__village__name",
            "plan__year",
            "kind",
            "department__name",
            "due",
            "amount",
            "status",
            "done_on",
            "evidence",
            "done_by__username",
            "done_at",
        ).iterator(chunk_size=2000):
            *head, status, done_on, evidence, done_by, done_at = row
            yield (*head, str(statuses[status]), done_on, evidence, done_by, entry_time(done_at))
