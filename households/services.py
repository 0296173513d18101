"""Writes on the registry: households, members, member changes, pairings, plans (assessments:
households/assessments/services.py).

Every write of the portal goes through these functions: the admin, the ledgers, the commands and
the demo. Each validates first (a clear Chinese error naming what is wrong, nothing written),
then saves inside a transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Cadre, Department
from households import checks
from households.models import (
    HelpMeasure,
    HelpPlan,
    Household,
    Member,
    MemberChange,
    Pairing,
)
from households.plans import approval_error
from households.responsibility import MEASURE_DEPARTMENTS
from xigang.idnumber import normalise
from xigang.obligations import state_refresh

# --- households -------------------------------------------------------------------------------


@transaction.atomic
def household_save(*, household: Household, closed_on: datetime.date | None = None) -> Household:
    """Validate and save a household. Marking it 已销户 ends its pairing on `closed_on`
    (default today); pairings that would only have started later are removed."""
    household.head_id_number = normalise(household.head_id_number or "")
    household.full_clean()
    household.save()
    if household.status == Household.Status.CLOSED:
        pairings_end_for_closed(household_ids=[household.pk], day=closed_on)
    return household


def pairings_end_for_closed(
    *, household_ids: Iterable[int], day: datetime.date | None = None
) -> None:
    """End the pairings of closed (已销户) households on `day` (default today), in two queries
    whatever the number of households; pairings that would only start later are removed."""
    day = day or timezone.localdate()
    ids = list(household_ids)
    Pairing.objects.filter(household_id__in=ids, start__gt=day).delete()
    Pairing.objects.filter(household_id__in=ids, start__lte=day).filter(
        Q(end__isnull=True) | Q(end__gt=day)
    ).update(end=day)
    state_refresh(households=ids)


# --- members ----------------------------------------------------------------------------------


def _check_counting_elsewhere(id_number: str, member_id: int | None, user: User | None) -> None:
    """Refuse an ID number counting under another member row; the message names that household
    only to a `user` who may see it (no user: a command or the shell, told everything)."""
    counting = checks.counting_members(id_numbers=[id_number])
    error = checks.counting_elsewhere_error(
        id_number=id_number,
        member_id=member_id,
        counting=counting,
        in_scope=checks.households_in_scope(user, [c.household_id for c in counting.values()]),
    )
    if error:
        raise ValidationError({"id_number": error})


@transaction.atomic
def member_save(*, member: Member, user: User | None = None) -> Member:
    """Validate and save a member: the ID number (GB 11643) and the rule that the same ID
    number counts in one household at most (also the constraint
    `member_id_number_in_one_household`). `user`: who saves it, for the messages."""
    member.id_number = normalise(member.id_number or "")
    if member.active:
        member.left_on = None
        if member.id_number:
            _check_counting_elsewhere(member.id_number, member.pk, user)
    member.full_clean()
    member.save()
    return member


# --- member changes (arts. 32, 37) -------------------------------------------------------------


@transaction.atomic
def member_change_record(
    *,
    household: Household,
    kind: str,
    name: str,
    happened_on: datetime.date,
    reported_on: datetime.date,
    id_number: str = "",
    reported_by: User | None = None,
    relation: str = Member.Relation.OTHER,
) -> MemberChange:
    """Record a change of household members and update the household.

    新生/迁入/嫁入 add the person (or count them again, if they had left this household), and
    家庭人口 grows by one; a 新生 without an ID number yet is recorded and counted, and the member
    row follows when the number is issued (members ledger). 死亡/迁出/嫁出 end the membership on
    the day it happened (`active=False`, `left_on`), the member row stays as history, and
    家庭人口 shrinks by one. The change itself is kept. Refusals name other households only
    as far as `reported_by` may see them."""
    id_number = normalise(id_number or "")
    if kind not in MemberChange.Kind.values:
        raise ValidationError({"kind": _("unknown kind of change 「%(kind)s」") % {"kind": kind}})
    error = checks.report_date_error(happened_on=happened_on, reported_on=reported_on)
    if error:
        raise ValidationError({"reported_on": error})
    if MemberChange.objects.filter(
        household=household, name=name, kind=kind, happened_on=happened_on
    ).exists():
        raise ValidationError(_("this change has already been recorded"))
    household = Household.objects.select_for_update().get(pk=household.pk)
    change = MemberChange(
        household=household,
        id_number=id_number,
        name=name,
        kind=kind,
        happened_on=happened_on,
        reported_on=reported_on,
        reported_by=reported_by,
    )
    change.full_clean(exclude=["member"])
    if kind in MemberChange.ADDING:
        member = (
            _member_joins(household, id_number, name, relation, reported_by) if id_number else None
        )
        household.size += 1
    else:
        member = _member_leaves(household, id_number, name, happened_on)
        household.size = max(household.size - 1, 0)
    household.save(update_fields=["size"])
    change.member = member
    change.save()
    return change


def _member_joins(
    household: Household, id_number: str, name: str, relation: str, user: User | None
) -> Member:
    _check_counting_elsewhere(id_number, None, user)
    member = Member.objects.filter(household=household, id_number=id_number).first()
    if member is None:
        member = Member(household=household, id_number=id_number, name=name, relation=relation)
    member.active = True
    member.left_on = None
    member.full_clean()
    member.save()
    return member


def _member_leaves(household: Household, id_number: str, name: str, day: datetime.date) -> Member:
    member, error = checks.leaving_member(list(household.members.all()), id_number, name)
    if member is None:
        raise ValidationError({"id_number": error})
    member.active = False
    member.left_on = day
    member.full_clean()
    member.save(update_fields=["active", "left_on"])
    return member


# --- pairings ---------------------------------------------------------------------------------


@transaction.atomic
def pairing_save(*, pairing: Pairing) -> Pairing:
    """Validate and save a pairing: the household is not closed (for a new open pairing), the end is
    not before the start (`Pairing.clean`) and the span overlaps no other pairing of the
    household, so one cadre answers at a time."""
    household = Household.objects.select_for_update().get(pk=pairing.household_id)
    error = (
        checks.closed_household_error(status=household.status, end=pairing.end)
        if pairing.pk is None
        else None
    )
    if error:
        raise ValidationError(error)
    pairing.full_clean()
    others = checks.pairing_spans(household_ids=[household.pk], exclude=pairing.pk)
    error = checks.pairing_overlap_error(
        start=pairing.start, end=pairing.end, others=others.get(household.pk, {}).values()
    )
    if error:
        raise ValidationError(error)
    pairing.save()
    state_refresh(households=[household.pk])
    return pairing


@transaction.atomic
def pairing_start(*, household: Household, cadre: Cadre, start: datetime.date) -> Pairing:
    """Pair `cadre` with `household` from `start`. A handover: the pairing open on `start`
    (with no end, begun earlier) ends the day before; any other overlap is refused."""
    current = (
        Pairing.objects.select_for_update()
        .filter(household=household, end__isnull=True, start__lt=start)
        .first()
    )
    if current is not None:
        current.end = start - datetime.timedelta(days=1)
        current.save(update_fields=["end"])
    return pairing_save(pairing=Pairing(household=household, cadre=cadre, start=start))


@transaction.atomic
def pairing_end(*, pairing: Pairing, end: datetime.date) -> Pairing:
    """End a pairing on `end` (the checks of `pairing_save`)."""
    pairing.end = end
    return pairing_save(pairing=pairing)


# --- 一户一策 plans (arts. 34, 38) ---------------------------------------------------------------


def default_department(kind: str) -> Department:
    return Department.objects.get(name=MEASURE_DEPARTMENTS[kind])


@transaction.atomic
def help_plan_save(
    *,
    household: Household,
    year: int,
    summary: str = "",
    measures: Iterable[dict[str, Any]] | None = None,
) -> HelpPlan:
    """Create or update the household's plan for `year`. When `measures` is given it replaces
    the plan's measures: dicts with `kind` and optionally `department` (default: the department
    that answers for the kind, `MEASURE_DEPARTMENTS`), `status`, `amount`, `note`."""
    plan = HelpPlan.objects.filter(household=household, year=year).first() or HelpPlan(
        household=household, year=year
    )
    plan.summary = summary
    plan.full_clean()
    plan.save()
    if measures is not None:
        wanted = list(measures)
        departments = {
            d.name: d for d in Department.objects.filter(name__in=set(MEASURE_DEPARTMENTS.values()))
        }
        rows = []
        for spec in wanted:
            kind = spec["kind"]
            if kind not in HelpMeasure.Kind.values:
                raise ValidationError({"kind": _("unknown measure 「%(kind)s」") % {"kind": kind}})
            measure = HelpMeasure(
                plan=plan,
                kind=kind,
                department=spec.get("department") or departments[MEASURE_DEPARTMENTS[kind]],
                status=spec.get("status", HelpMeasure.Status.PLANNED),
                amount=Decimal(spec["amount"]) if spec.get("amount") is not None else None,
                note=spec.get("note", ""),
            )
            measure.full_clean()
            rows.append(measure)
        plan.measures.all().delete()
        HelpMeasure.objects.bulk_create(rows)
    return plan


@transaction.atomic
def help_measure_save(*, measure: HelpMeasure) -> HelpMeasure:
    """Save one measure; without a department it goes to the one that answers for its kind.
    It is marked carried out only with its evidence (`plans.measure_deliver`)."""
    if measure.status == HelpMeasure.Status.DONE and measure.done_on is None:
        raise ValidationError(
            {"status": [_("a measure is marked carried out with its evidence, on its own form")]}
        )
    if measure.department_id is None and measure.kind in MEASURE_DEPARTMENTS:
        measure.department = default_department(measure.kind)
    measure.full_clean()
    measure.save()
    return measure


# --- plans ------------------------------------------------------------------------------------


@transaction.atomic
def plan_approve(*, plan: HelpPlan, by: User) -> HelpPlan:
    """Approve a help plan in one step (镇审批, art. 34's last step): today's date, who and when
    set here, never typed. Refused before 村级审核, and when approved already (the first
    approval stands)."""
    plan = HelpPlan.objects.select_for_update().select_related("household").get(pk=plan.pk)
    if plan.approved_on is None and (error := approval_error(plan)):
        raise ValidationError(error)
    if plan.approved_on is not None:
        raise ValidationError(
            _("the %(year)d plan of household %(number)s was already approved on %(day)s")
            % {
                "year": plan.year,
                "number": plan.household.number,
                "day": plan.approved_on.isoformat(),
            }
        )
    plan.approved_on = timezone.localdate()
    plan.approved_by = by
    plan.approved_at = timezone.now()
    plan.full_clean()
    plan.save(update_fields=["approved_on", "approved_by", "approved_at"])
    return plan
