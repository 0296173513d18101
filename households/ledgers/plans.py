"""Ledgers `plans` (一户一策台账) and `measures` (帮扶措施落实台账), exported for the office,
villages, cadres and (measures) departments, each within the user's scope. Not imported: a
step, an approval and a delivery carry who entered them and when, which no file can say; they
are recorded on the household page (`households.plans`)."""

from __future__ import annotations

from collections.abc import Iterator

from households.models import HelpMeasure, HelpPlan, PlanStep
from households.plans import ORDER
from xigang.entry import entry_time
from xigang.ledgers import Column, LedgerKind, register

STEP_HEADERS = {
    PlanStep.Step.SURVEY: "入户调查日期",
    PlanStep.Step.CAUSES: "致贫原因分析日期",
    PlanStep.Step.MEASURES: "措施制定日期",
    PlanStep.Step.VILLAGE: "村级审核日期",
    PlanStep.Step.REVIEW: "动态调整日期",
}


@register
class PlanLedger(LedgerKind):
    name = "plans"
    title = "西岗镇一户一策帮扶计划台账"
    permission = "households.add_helpplan"
    export_permission = "households.view_helpplan"
    importable = False
    columns = [
        Column("户编号", "household"),
        Column("村", "village"),
        Column("户主", "head"),
        Column("年度", "year"),
        Column("帮扶计划", "summary"),
        *(Column(STEP_HEADERS[step], step) for step in ORDER),
        Column("镇审批日期", "approved_on"),
        Column("审批人", "approved_by"),
        Column(STEP_HEADERS[PlanStep.Step.REVIEW], "review"),
    ]

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
class MeasureLedger(LedgerKind):
    name = "measures"
    title = "西岗镇帮扶措施落实台账"
    permission = "households.add_helpmeasure"
    export_permission = "households.view_helpmeasure"
    importable = False
    columns = [
        Column("户编号", "household"),
        Column("村", "village"),
        Column("年度", "year"),
        Column("帮扶措施", "kind"),
        Column("责任部门", "department"),
        Column("应完成日期", "due"),
        Column("金额（元）", "amount"),
        Column("状态", "status"),
        Column("落实日期", "done_on"),
        Column("佐证", "evidence"),
        Column("录入人", "done_by"),
        Column("录入时间", "done_at"),
    ]

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
