import datetime

import pytest

from duties.models import Department, VillageAssignment
from tests.conftest import make_user
from visits.models import ProblemCategory
from visits.services import problem_report
from xigang import roles


@pytest.fixture
def in_charge(east):
    """The 包村干部 of 东村: a town cadre of 组织科 assigned to the village."""
    user = make_user("in_charge", roles.DEPARTMENT, Department.objects.get(name="组织科"))
    VillageAssignment.objects.create(village=east, cadre=user.cadre)
    return user


@pytest.fixture
def problem_due_in(east_household, dept, today):
    """A problem routed to 民政科 (the `dept` user) that falls due `days` after today."""

    def make(days, description="低保申请材料缺失"):
        found_on = today + datetime.timedelta(days=days - 30)  # due after the 30 days in force
        return problem_report(
            household=east_household,
            category=ProblemCategory.objects.get(name="低保五保"),
            description=description,
            found_on=found_on,
        )

    return make
