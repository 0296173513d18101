"""Writes on the registry: households, members, member changes, pairings, plans, assessments.

Every write of the portal goes through these functions: the admin, the ledgers, the commands and
the demo. Each validates first (a clear Chinese error naming what is wrong, nothing written),
then saves inside a transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Cadre, Department
from households.models import (
    Assessment,
    HelpMeasure,
    HelpPlan,
    Household,
    Member,
    MemberChange,
    Pairing,
)
from households.responsibility import MEASURE_DEPARTMENTS
from xigang import scope
from xigang.idnumber import normalise

# --- pure helpers, shared with the ledgers ----------------------------------------------------

Span = tuple[datetime.date, datetime.date | None]


def spans_overlap(a: Span, b: Span) -> bool:
    """Two inclusive date spans (an open end lasts for ever) share at least one day."""
    a_start, a_end = a
    b_start, b_end = b
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def first_overlap(span: Span, others: Iterable[tuple[Any, Span]]) -> Any | None:
    """The label of the first of `others` whose span overlaps `span`, or None."""
    for label, other in others:
        if spans_overlap(span, other):
            return label
    return None


def overlap_message(start: datetime.date, end: datetime.date | None, cadre_name: str) -> str:
    return _(
        "overlaps the pairing with %(cadre)s from %(start)s to %(end)s: a household has one "
        "pairing cadre at a time"
    ) % {"cadre": cadre_name, "start": start.isoformat(), "end": end.isoformat() if end else "—"}


def active_elsewhere_message(number: str | None) -> str:
    """`number` is the other household's, or None when the user may not see it: an ID number
    typed must not tell a user which household of another village it counts in."""
    if number is None:
        return _(
            "this ID number is already registered in another household: ask the "
            "poverty-alleviation office"
        )
    return _(
        "this ID number already counts in household 「%(number)s」: the same person cannot be in "
        "two households; record the move as a member change (迁出, then 迁入)"
    ) % {"number": number}


def number_unusable_message() -> str:
    """A household number taken out of the user's scope: said without confirming where."""
    return _("this household number cannot be used: ask the poverty-alleviation office")


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


# --- members ----------------------------------------------------------------------------------


def _check_active_elsewhere(id_number: str, exclude_pk: int | None, user: User | None) -> None:
    """Refuse an ID number counting in another household; the message names that household
    only to a `user` who may see it (no user: a command or the shell, told everything)."""
    other = (
        Member.objects.filter(id_number=id_number, active=True)
        .exclude(pk=exclude_pk)
        .select_related("household")
        .first()
    )
    if other is not None:
        shown = user is None or scope.can_see(user, other.household)
        number = other.household.number if shown else None
        raise ValidationError({"id_number": active_elsewhere_message(number)})


@transaction.atomic
def member_save(*, member: Member, user: User | None = None) -> Member:
    """Validate and save a member: the ID number (GB 11643) and the rule that the same ID
    number counts in one household at most (also the constraint
    `member_id_number_in_one_household`). `user`: who saves it, for the messages."""
    member.id_number = normalise(member.id_number or "")
    if member.active:
        member.left_on = None
        if member.id_number:
            _check_active_elsewhere(member.id_number, member.pk, user)
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
    if reported_on < happened_on:
        raise ValidationError(
            {"reported_on": _("the report date is before the date of the change")}
        )
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
    _check_active_elsewhere(id_number, None, user)
    member = Member.objects.filter(household=household, id_number=id_number).first()
    if member is None:
        member = Member(household=household, id_number=id_number, name=name, relation=relation)
    member.active = True
    member.left_on = None
    member.full_clean()
    member.save()
    return member


def find_leaving_member(
    members: Sequence[Member], id_number: str, name: str
) -> tuple[Member | None, str | None]:
    """The active member a 死亡/迁出/嫁出 is about, matched by ID number, else by name;
    or the reason none can be chosen. Shared by the service and the ledger."""
    active = [m for m in members if m.active]
    if id_number:
        found = [m for m in active if m.id_number == id_number]
    else:
        found = [m for m in active if m.name == name]
    if not found:
        return None, _("no member of this household with this ID number or name counts in it now")
    if len(found) > 1:
        return None, _("several members have this name: give the ID number")
    return found[0], None


def _member_leaves(household: Household, id_number: str, name: str, day: datetime.date) -> Member:
    member, error = find_leaving_member(list(household.members.all()), id_number, name)
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
    """Validate and save a pairing: the household is not closed (for a new pairing) and its
    span overlaps no other pairing of the household, so one cadre answers at a time."""
    household = Household.objects.select_for_update().get(pk=pairing.household_id)
    if pairing.pk is None and household.status == Household.Status.CLOSED:
        raise ValidationError(_("the household is closed (已销户): it is no longer paired"))
    pairing.full_clean()
    others = (
        Pairing.objects.filter(household=household).exclude(pk=pairing.pk).select_related("cadre")
    )
    clash = first_overlap((pairing.start, pairing.end), ((p, (p.start, p.end)) for p in others))
    if clash is not None:
        raise ValidationError(overlap_message(clash.start, clash.end, clash.cadre.name))
    pairing.save()
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
    if end < pairing.start:
        raise ValidationError(
            {"end": _("the last day is before the first day %(start)s") % {"start": pairing.start}}
        )
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
    approved_on: datetime.date | None = None,
    measures: Iterable[dict[str, Any]] | None = None,
) -> HelpPlan:
    """Create or update the household's plan for `year`. When `measures` is given it replaces
    the plan's measures: dicts with `kind` and optionally `department` (default: the department
    that answers for the kind, `MEASURE_DEPARTMENTS`), `status`, `amount`, `note`."""
    plan = HelpPlan.objects.filter(household=household, year=year).first() or HelpPlan(
        household=household, year=year
    )
    plan.summary = summary
    plan.approved_on = approved_on
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
    """Save one measure; without a department it goes to the one that answers for its kind."""
    if measure.department_id is None and measure.kind in MEASURE_DEPARTMENTS:
        measure.department = default_department(measure.kind)
    measure.full_clean()
    measure.save()
    return measure


# --- 一达标、两不愁、三保障 ----------------------------------------------------------------------


@transaction.atomic
def assessment_record(
    *,
    household: Household,
    item: str,
    met: bool,
    assessed_on: datetime.date,
    assessed_by: User | None = None,
    note: str = "",
) -> Assessment:
    """Record one item as met or not on a day (a second record the same day replaces it).
    A not-met item names its department through `Assessment.responsible`."""
    assessment = Assessment.objects.filter(
        household=household, item=item, assessed_on=assessed_on
    ).first() or Assessment(household=household, item=item, assessed_on=assessed_on)
    assessment.met = met
    assessment.assessed_by = assessed_by
    assessment.note = note
    assessment.full_clean()
    assessment.save()
    return assessment
