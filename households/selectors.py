"""Reads on the registry: lists already joined and scoped, and the data-quality checks.

Each check is one queryset (set-based, whatever the number of households), narrowed to the
user's scope and optionally to one village.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, Model, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Substr
from django.utils.translation import gettext_lazy as _

from duties.models import Village
from households.models import (
    Assessment,
    HelpMeasure,
    HelpPlan,
    Household,
    Member,
    MemberChange,
    Pairing,
    PlanStep,
)
from households.plans import ORDER
from xigang.scope import visible

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

SCHOOL_AGE = (6, 18)  # years, inclusive


def household_list(*, user: User | AnonymousUser, village: Village | None = None) -> QuerySet:
    households = visible(user, Household.objects.select_related("village"))
    return households.filter(village=village) if village else households


def household_search(
    *,
    user: User | AnonymousUser,
    text: str = "",
    village_id: int | None = None,
    status: str = "",
) -> QuerySet:
    """The households list of the portal: by number or head's name (`text`), village, status;
    scoped, in number order."""
    households = household_list(user=user)
    text = text.strip()
    if text:
        households = households.filter(Q(number__icontains=text) | Q(head_name__icontains=text))
    if village_id is not None:
        households = households.filter(village_id=village_id)
    if status:
        households = households.filter(status=status)
    return households.order_by("number")


def household_record(*, user: User | AnonymousUser, household: Household) -> dict[str, list]:
    """A household's registry rows, each list scoped (six queries whatever their sizes):
    members, member changes, pairings, plans with their measures, and the latest 三保障
    assessment of each item."""

    def rows(model: type[Model], *related: str) -> QuerySet:
        found = model._default_manager.filter(household=household).select_related(*related)
        return visible(user, found)

    latest: dict[str, Assessment] = {}
    for assessment in rows(Assessment, "assessed_by").order_by("item", "-assessed_on"):
        latest.setdefault(assessment.item, assessment)
    measures = visible(user, HelpMeasure.objects.select_related("department", "done_by")).order_by(
        "due", "id"
    )
    plans = list(
        rows(HelpPlan, "approved_by").prefetch_related(
            Prefetch("measures", queryset=measures),
            Prefetch("steps", queryset=PlanStep.objects.select_related("entered_by")),
        )
    )
    for plan in plans:
        plan.procedure = plan_procedure(plan)
    return {
        "members": list(rows(Member).order_by("-active", "id")),
        "changes": list(rows(MemberChange, "reported_by").order_by("-happened_on", "-id")),
        "pairings": list(rows(Pairing, "cadre").order_by("-start")),
        "plans": plans,
        "assessments": [latest[item] for item in Assessment.Item.values if item in latest],
    }


class Approval(NamedTuple):
    """The town's approval shown as the procedure's last step."""

    done_on: datetime.date
    entered_by: User | None
    entered_at: datetime.datetime | None


def plan_procedure(plan: HelpPlan) -> list[tuple[str, PlanStep | Approval | None]]:
    """Art. 34's steps of a plan in order, each with its record or None; 镇审批 is the plan's
    approval (a step-like row read from `approved_*`). The steps must be prefetched."""
    done = {step.step: step for step in plan.steps.all()}
    rows: list[tuple[str, Any]] = [(str(step.label), done.get(step)) for step in ORDER]
    approval = (
        Approval(plan.approved_on, plan.approved_by, plan.approved_at) if plan.approved_on else None
    )
    rows.append((str(_("town approval (镇审批)")), approval))
    if PlanStep.Step.REVIEW in done:
        rows.append((str(PlanStep.Step.REVIEW.label), done[PlanStep.Step.REVIEW]))
    return rows


class PickError(ValueError):
    """The household typed into a picker is unknown, out of scope or ambiguous (a message)."""


PICK_CHOICES = 20


def household_suggestions(*, user: User | AnonymousUser, text: str) -> list[tuple[str, str]]:
    """(number, "number head village") of the households in scope matching `text`, for a
    picker's suggestions; nothing for an empty text."""
    text = text.strip()
    if not text:
        return []
    found = household_search(user=user, text=text)[:PICK_CHOICES]
    return [(h.number, f"{h.number} {h.head_name} {h.village.name}") for h in found]


def household_pick(*, user: User | AnonymousUser, text: str) -> Household:
    """The one household in scope that `text` names: its number (alone or followed by what the
    suggestions show), or its head's name when one household in scope has it."""
    text = text.strip()
    if not text:
        raise PickError(_("enter a household number or the head's name"))
    households = household_list(user=user)
    number = text.split()[0]
    found = households.filter(number=number).first()
    if found is not None:
        return found
    named = list(households.filter(head_name=text)[:PICK_CHOICES])
    if len(named) == 1:
        return named[0]
    if named:
        raise PickError(
            _("several households have the head 「%(name)s」: %(numbers)s; choose by number")
            % {"name": text, "numbers": "、".join(h.number for h in named)}
        )
    raise PickError(
        _("no household 「%(text)s」 in your villages; enter its number or the head's name")
        % {"text": text}
    )


def member_list(*, user: User | AnonymousUser, household: Household | None = None) -> QuerySet:
    members = visible(user, Member.objects.select_related("household__village"))
    return members.filter(household=household) if household else members


# --- data-quality checks -------------------------------------------------------------------


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


def duplicate_id_members(*, user: User | AnonymousUser, village: Village | None = None) -> QuerySet:
    """Members counting in a household whose ID number is also in another household: counting
    there too, or as the head's ID number of another household.

    Set-based: an ID number is taken with each household it counts in and each household it
    heads; a member is listed when their number comes with two households or more (their own
    is one of them). One grouped pass, not a look-up per member, so it scales to a county."""
    member, household = Member._meta.db_table, Household._meta.db_table
    shared = RawSQL(
        f"""SELECT n.id_number FROM (
                SELECT id_number, household_id AS hh FROM {member} WHERE active
                UNION ALL
                SELECT head_id_number, id FROM {household} WHERE head_id_number <> ''
            ) n GROUP BY n.id_number HAVING COUNT(DISTINCT n.hh) > 1""",
        [],
    )
    members = member_list(user=user).filter(active=True, id_number__in=shared)
    if village:
        members = members.filter(household__village=village)
    return members.order_by("id_number", "household__number")


def size_mismatches(*, user: User | AnonymousUser, village: Village | None = None) -> QuerySet:
    """Households whose 家庭人口 is not the number of members counting in them."""
    counted = (
        Member.objects.filter(household=OuterRef("pk"), active=True)
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # Additions recorded before the person's ID number was issued (a newborn): counted in
    # 家庭人口 by the change, with no member row yet: an expected mismatch, shown with a hint.
    unmatched = (
        MemberChange.objects.filter(
            household=OuterRef("pk"), member__isnull=True, kind__in=MemberChange.ADDING
        )
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    households = household_list(user=user, village=village).annotate(
        counted=Coalesce(Subquery(counted), 0), awaiting_id=Coalesce(Subquery(unmatched), 0)
    )
    return households.exclude(size=F("counted")).order_by("number")


def school_age_without_status(
    *, user: User | AnonymousUser, as_of: datetime.date, village: Village | None = None
) -> QuerySet:
    """Members aged 6 to 18 on `as_of` (birth date from the ID number) with no school status."""
    youngest, oldest = SCHOOL_AGE
    born_after = _years_before(as_of, oldest + 1)  # exclusive: 19 today is too old
    born_by = _years_before(as_of, youngest)
    members = member_list(user=user).filter(active=True, schooling="")
    if village:
        members = members.filter(household__village=village)
    return (
        members.annotate(born=Substr("id_number", 7, 8))
        .filter(born__gt=born_after.strftime("%Y%m%d"), born__lte=born_by.strftime("%Y%m%d"))
        .order_by("household__number", "id")
    )


FOUR_HAVES = ("has_vehicle", "has_town_housing", "has_public_post", "has_business")


def four_haves(*, user: User | AnonymousUser, village: Village | None = None) -> QuerySet:
    """四有人员 (art. 32): members counting in a household recorded with a vehicle, commercial
    housing in town, a public post or a registered business, for review."""
    q = Q()
    for flag in FOUR_HAVES:
        q |= Q(**{flag: True})
    members = member_list(user=user).filter(active=True).filter(q)
    if village:
        members = members.filter(household__village=village)
    return members.order_by("household__number", "id")


@dataclass(frozen=True)
class Check:
    key: str
    title: StrPromise
    article: int | None


CHECKS = (
    Check("duplicate_ids", _("ID number in two households"), 32),
    Check("size_mismatch", _("household size differs from the members in the register"), 37),
    Check("school_age", _("school-age members with no school status"), 38),
    Check("four_haves", _("四有人员 to review"), 32),
)


def quality_checks(
    *, user: User | AnonymousUser, as_of: datetime.date, village: Village | None = None
) -> dict[str, QuerySet]:
    return {
        "duplicate_ids": duplicate_id_members(user=user, village=village),
        "size_mismatch": size_mismatches(user=user, village=village),
        "school_age": school_age_without_status(user=user, as_of=as_of, village=village),
        "four_haves": four_haves(user=user, village=village),
    }


def quality_summary(*, user: User | AnonymousUser, as_of: datetime.date) -> list[dict]:
    """Per village in the user's scope: the number of findings of each check (five queries:
    the villages and one grouped count per check)."""
    villages = list(visible(user, Village.objects.all()).values_list("id", "name"))
    checks = quality_checks(user=user, as_of=as_of)
    counts: dict[str, dict[int, int]] = {}
    for key, queryset in checks.items():
        path = "village_id" if queryset.model is Household else "household__village_id"
        counts[key] = dict(
            queryset.order_by()
            .values(path)
            .annotate(n=Count("pk", distinct=True))
            .values_list(path, "n")
        )
    return [
        {
            "id": village_id,
            "name": name,
            "counts": [counts[check.key].get(village_id, 0) for check in CHECKS],
            "total": sum(counts[check.key].get(village_id, 0) for check in CHECKS),
        }
        for village_id, name in villages
    ]
