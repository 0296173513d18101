"""一户一策 (art. 34): the steps of a plan, its measures with their departments and due days,
and their delivery with evidence. Writes here (the admin, the forms, the ledgers and the demo
call them); `plan_approve` (services.py) is the last step, 镇审批.

The steps are done in order: 入户调查, 致贫原因分析, 措施制定, 村级审核, then 镇审批 (the
plan's approval); each is dated no earlier than the step before it and never in the future,
and is entered once. 动态调整 (the yearly review) may be recorded on an approved plan.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Department
from duties.schedules.evidence import check_upload
from households.models import HelpMeasure, HelpPlan, Household, PlanStep
from households.responsibility import MEASURE_DEPARTMENTS

# The procedure of art. 34 before the town's approval, in order.
ORDER = [
    PlanStep.Step.SURVEY,
    PlanStep.Step.CAUSES,
    PlanStep.Step.MEASURES,
    PlanStep.Step.VILLAGE,
]


def plan_step_error(
    *, plan: HelpPlan, step: str, done_on: datetime.date, done: dict[str, datetime.date]
) -> str | None:
    """Why `step` dated `done_on` cannot be recorded on `plan`, whose steps done so far are
    `done` (step -> date); None when it can. No query."""
    label = PlanStep.Step(step).label if step in PlanStep.Step.values else step
    if step not in PlanStep.Step.values:
        return _("unknown plan step 「%(step)s」") % {"step": step}
    if done_on > timezone.localdate():
        return _("the date of 「%(step)s」 is in the future") % {"step": label}
    if step in done:
        return _("「%(step)s」 was already recorded on %(day)s") % {
            "step": label,
            "day": done[step].isoformat(),
        }
    if step == PlanStep.Step.REVIEW:
        if plan.approved_on is None:
            return _("the plan must be approved by the town before its yearly review")
        if done_on < plan.approved_on:
            return _("the review cannot be dated before the approval, %(day)s") % {
                "day": plan.approved_on.isoformat()
            }
        return None
    if plan.approved_on is not None:
        return _("the plan is approved already: its steps cannot change")
    index = ORDER.index(PlanStep.Step(step))
    if index:
        before = ORDER[index - 1]
        if before not in done:
            return _("record 「%(before)s」 before 「%(step)s」") % {
                "before": before.label,
                "step": label,
            }
        if done_on < done[before]:
            return _("「%(step)s」 cannot be dated before 「%(before)s」, %(day)s") % {
                "step": label,
                "before": before.label,
                "day": done[before].isoformat(),
            }
    return None


def steps_done(plan: HelpPlan) -> dict[str, datetime.date]:
    return dict(PlanStep.objects.filter(plan=plan).values_list("step", "done_on"))


def next_step(plan: HelpPlan) -> str:
    """The step to record next: the first of art. 34's not done, else the yearly review."""
    done = steps_done(plan)
    return next((step for step in ORDER if step not in done), PlanStep.Step.REVIEW)


@transaction.atomic
def plan_step_record(
    *, plan: HelpPlan, step: str, done_on: datetime.date, by: User | None, note: str = ""
) -> PlanStep:
    """Record one step of the plan; its entry time and author are set here."""
    plan = HelpPlan.objects.select_for_update().get(pk=plan.pk)
    error = plan_step_error(plan=plan, step=step, done_on=done_on, done=steps_done(plan))
    if error:
        raise ValidationError({"step": [error]})
    row = PlanStep(plan=plan, step=step, done_on=done_on, note=note.strip(), entered_by=by)
    row.full_clean()
    row.save()
    return row


def approval_error(plan: HelpPlan) -> str | None:
    """Why the town cannot approve the plan yet: 村级审核 comes first (one query)."""
    if not PlanStep.objects.filter(plan=plan, step=PlanStep.Step.VILLAGE).exists():
        return _("the village review (村级审核) of the %(year)d plan of %(number)s comes first") % {
            "year": plan.year,
            "number": plan.household.number,
        }
    return None


def closed_error(household: Household) -> str | None:
    """A closed household gets no new plan."""
    if household.status == Household.Status.CLOSED:
        return _("household %(number)s is closed") % {"number": household.number}
    return None


@transaction.atomic
def plan_start(*, household: Household, year: int, summary: str = "") -> HelpPlan:
    """A new plan for the household's year; a second plan for the same year is refused."""
    error = closed_error(household)
    if error:
        raise ValidationError({"household": [error]})
    if HelpPlan.objects.filter(household=household, year=year).exists():
        raise ValidationError(
            {
                "year": [
                    _("household %(number)s already has a plan for %(year)d")
                    % {"number": household.number, "year": year}
                ]
            }
        )
    plan = HelpPlan(household=household, year=year, summary=summary.strip())
    plan.full_clean()
    plan.save()
    return plan


def department_for(kind: str, department: Department | None) -> Department:
    """The department given, or the one that answers for the measure's kind."""
    if department is not None:
        return department
    if kind not in MEASURE_DEPARTMENTS:
        raise ValidationError({"kind": [_("unknown measure 「%(kind)s」") % {"kind": kind}]})
    return Department.objects.get(name=MEASURE_DEPARTMENTS[kind])


@transaction.atomic
def measure_add(
    *,
    plan: HelpPlan,
    kind: str,
    due: datetime.date,
    department: Department | None = None,
    amount: Decimal | None = None,
    note: str = "",
) -> HelpMeasure:
    """A measure of the plan, routed to a department (by default the one for its kind), due on
    a day."""
    if due is None:
        raise ValidationError({"due": [_("give the day the measure is due")]})
    measure = HelpMeasure(
        plan=plan,
        kind=kind,
        department=department_for(kind, department),
        due=due,
        amount=amount,
        note=note.strip(),
    )
    measure.full_clean()
    measure.save()
    return measure


def delivery_errors(
    *, measure: HelpMeasure, done_on: datetime.date, evidence: str, has_file: bool
) -> dict[str, str]:
    """Why the delivery cannot be recorded on `measure` (field -> reason); empty when it can.
    No query."""
    errors = {}
    if measure.done_on is not None:
        errors["done_on"] = _("this measure was already marked carried out on %(day)s") % {
            "day": measure.done_on.isoformat()
        }
    elif done_on > timezone.localdate():
        errors["done_on"] = _("the day it was carried out is in the future")
    if not evidence.strip() and not has_file:
        errors["evidence"] = _("give the evidence: a short text or a file")
    return errors


@transaction.atomic
def measure_deliver(
    *,
    measure: HelpMeasure,
    done_on: datetime.date,
    by: User | None,
    evidence: str = "",
    evidence_file: Any | None = None,
) -> HelpMeasure:
    """Mark the measure carried out on `done_on`, with evidence (a text, a file or both); who
    and when are set here. A measure carried out already is refused."""
    measure = HelpMeasure.objects.select_for_update().select_related("plan").get(pk=measure.pk)
    errors = delivery_errors(
        measure=measure, done_on=done_on, evidence=evidence, has_file=bool(evidence_file)
    )
    if errors:
        raise ValidationError({field: [message] for field, message in errors.items()})
    if evidence_file:
        check_upload(evidence_file)
        measure.evidence_file = evidence_file
    measure.evidence = evidence.strip()
    measure.done_on = done_on
    measure.done_by = by
    measure.done_at = timezone.now()
    measure.status = HelpMeasure.Status.DONE
    measure.full_clean()
    measure.save()
    return measure
