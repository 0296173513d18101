"""The registry's row scope (plugged into xigang.scope), and the households a user reaches.

A household is in reach by its village, by an active pairing of the user's cadre, or (for
reading only) by something routed to the user's department: a help measure here, and what other
apps add with `route_to_department` (visits: problems).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone

from households.models import AssessmentGap, HelpMeasure, Household, Pairing
from xigang import kept, memo, obligations, scope
from xigang.scope import RowFilter, Scope

# Each gives the ids of the households with something routed to the given departments.
_ROUTES: list[Callable[[frozenset[int]], QuerySet]] = []


def route_to_department(households: Callable[[frozenset[int]], QuerySet]) -> None:
    """Rows of another app that bring a household into a department's reach."""
    _ROUTES.append(households)


def household_q(s: Scope, household_id: str, village_id: str) -> Q:
    """Households in reach; `household_id` and `village_id` are the paths from the model."""
    q = Q(**{f"{village_id}__in": s.village_ids}) if s.village_ids else Q(pk__in=[])
    if s.cadre_id:
        today = timezone.localdate()
        paired = Pairing.objects.filter(cadre_id=s.cadre_id, start__lte=today).filter(
            Q(end__isnull=True) | Q(end__gte=today)
        )
        q |= Q(**{f"{household_id}__in": paired.values("household_id")})
    if s.department_ids and s.routed_reach:  # off for writes: a department edits its own rows
        for routed in _ROUTES:
            q |= Q(**{f"{household_id}__in": routed(s.department_ids)})
    return q


def below_household(household_id: str, village_id: str) -> RowFilter:
    return lambda s: household_q(s, household_id, village_id)


# Models whose rows reach anyone, a department included, only through their household: a
# department's obligation answers are kept across other households' writes to their tables.
_BY_HOUSEHOLD: list[str] = ["households.assessment"]  # a department's: the routed gaps' households


def register_below_household(label: str, household_id: str, village_id: str) -> None:
    scope.register_rows(label, below_household(household_id, village_id))
    _BY_HOUSEHOLD.append(label)


def routed_q(household_id: str, village_id: str) -> RowFilter:
    """Rows owned by a department (problems, measures) reach that department too."""
    return lambda s: household_q(s, household_id, village_id) | Q(
        department_id__in=s.department_ids
    )


def _gap_q(s: Scope) -> Q:
    """A department sees the gaps routed to it, not the other gaps of the households they lead
    it to; villages and pairing cadres see their households' gaps."""
    own = household_q(replace(s, routed_reach=False), "household_id", "household__village_id")
    return own | Q(department_id__in=s.department_ids)


def _assessment_q(s: Scope) -> Q:
    """Assessments: the households' usual reach; a department reads those of the households
    with a gap routed to it (what found the gap and what closes it), no other."""
    own = household_q(replace(s, routed_reach=False), "household_id", "household__village_id")
    if not (s.department_ids and s.routed_reach):
        return own
    routed = AssessmentGap.objects.filter(department_id__in=s.department_ids)
    return own | Q(household_id__in=routed.values("household_id"))


route_to_department(
    lambda ids: HelpMeasure.objects.filter(department_id__in=ids).values("plan__household_id")
)
route_to_department(
    lambda ids: AssessmentGap.objects.filter(department_id__in=ids).values("household_id")
)

scope.register_rows("households.household", below_household("id", "village_id"))
for _label in (
    "households.member",
    "households.memberchange",
    "households.pairing",
    "households.helpplan",
):
    register_below_household(_label, "household_id", "household__village_id")
scope.register_rows("households.assessment", _assessment_q)
scope.register_rows("households.assessmentgap", _gap_q)
scope.register_rows(
    "households.planstep", below_household("plan__household_id", "plan__household__village_id")
)


def _measure_q(s: Scope) -> Q:
    """A department reads the measures routed to it, not the other departments' measures of
    the households those lead it to."""
    own_units = household_q(
        replace(s, routed_reach=False), "plan__household_id", "plan__household__village_id"
    )
    return own_units | Q(department_id__in=s.department_ids)


scope.register_rows("households.helpmeasure", _measure_q)


@memo.once  # read once a page: the versions (xigang.obligations) and the rules narrowing by it
def answer_households(s: Scope) -> tuple[int, ...] | None:
    """The households whose rows the obligation answers of a reach short of the whole town
    read (xigang.obligations keeps them across other households' writes): their villages', every
    one their cadre was ever paired with (whose past periods stay theirs after a handover) and
    those with something routed to their departments. None for the whole town."""
    if s.whole_town:
        return None
    q = Q(village_id__in=s.village_ids)
    if s.cadre_id:
        q |= Q(pk__in=Pairing.objects.filter(cadre_id=s.cadre_id).values("household_id"))
    if s.department_ids:
        for routed in _ROUTES:
            q |= Q(pk__in=routed(s.department_ids))
    return tuple(Household.objects.filter(q).order_by("pk").values_list("pk", flat=True))


def answer_tables(s: Scope) -> frozenset[str]:
    """The household tables whose writes move `s`'s answers only for `answer_households`: all of
    them short of a department; for a department, those it reads by household alone (what is
    routed to it, 救急难 cases and spot checks reach it from any household: followed whole)."""
    if not s.department_ids:
        return kept.household_tables()
    return _by_household_tables()


@cache
def _by_household_tables() -> frozenset[str]:
    return frozenset(apps.get_model(label)._meta.db_table for label in _BY_HOUSEHOLD)


obligations.register_reach_households(answer_households, answer_tables)
