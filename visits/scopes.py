"""The row scope of visits, problems and 救急难 cases (plugged into xigang.scope)."""

from __future__ import annotations

from django.db.models import Exists, Q

from duties.models import Department
from households.scopes import household_q, register_below_household, route_to_department, routed_q
from visits.models import Problem
from xigang import scope
from xigang.scope import Scope

# The department that answers for 救急难 cases (arts. 15 and 40).
EMERGENCY_DEPARTMENT = "民政科"


def _answers_for_emergencies(s: Scope) -> Q:
    if not s.department_ids:
        return Q(pk__in=[])
    return Q(Exists(Department.objects.filter(pk__in=s.department_ids, name=EMERGENCY_DEPARTMENT)))


def _emergency_q(s: Scope) -> Q:
    """救急难 cases reach the households' usual reach and 民政科, for every case."""
    return household_q(s, "household_id", "household__village_id") | _answers_for_emergencies(s)


# A problem routed to a department brings its household into the department's reach.
route_to_department(
    lambda ids: Problem.objects.filter(department_id__in=ids).values("household_id")
)

scope.register_public("visits.problemcategory", "visits.visitstatebuilt")
register_below_household("visits.visit", "household_id", "household__village_id")
register_below_household("visits.visitstate", "household_id", "household__village_id")
scope.register_rows("visits.problem", routed_q("household_id", "household__village_id"))
scope.register_rows("visits.emergencycase", _emergency_q)
