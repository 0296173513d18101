"""The admin of problems: the department routed to sees and resolves them, others do not."""

import datetime

import pytest
from django.urls import reverse

from duties.models import Department
from tests.conftest import make_user
from tests.forms import shown_version
from visits.models import Problem, ProblemCategory
from visits.services import problem_report
from xigang import roles

D = datetime.date


@pytest.fixture
def housing_staff(db):
    return make_user(
        "housing", roles.DEPARTMENT, Department.objects.get(name="村建办"), name="村建办科员"
    )


@pytest.fixture
def problem(today, east_household):
    return problem_report(
        household=east_household,
        category=ProblemCategory.objects.get(name="危房改造"),
        description="墙体开裂",
        found_on=D(2026, 3, 2),
    )


def test_the_department_routed_to_sees_and_resolves_it(client, housing_staff, problem):
    client.force_login(housing_staff)
    listing = client.get(reverse("admin:visits_problem_changelist")).content.decode()
    assert "东村-001" in listing
    url = reverse("admin:visits_problem_change", args=[problem.pk])
    version = shown_version(client, url)
    response = client.post(
        url, {"resolution": "已完成危房改造", "resolved_on": "2026-03-20", "_row_version": version}
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.resolved_on, problem.resolution, problem.resolved_by) == (
        D(2026, 3, 20),
        "已完成危房改造",
        housing_staff,
    )


def test_another_department_does_not_see_it(client, dept, problem):
    client.force_login(dept)  # 民政科
    listing = client.get(reverse("admin:visits_problem_changelist")).content.decode()
    assert "东村-001" not in listing
    url = reverse("admin:visits_problem_change", args=[problem.pk])
    assert client.get(url).status_code in (302, 404)
    assert not Problem.objects.filter(resolved_on__isnull=False).exists()


def test_the_past_due_filter_lists_what_the_rule_calls_late(client, housing_staff, problem, today):
    on_time = problem_report(
        household=problem.household,
        category=ProblemCategory.objects.get(name="危房改造"),
        description="屋顶漏雨",
        found_on=today,
    )
    client.force_login(housing_staff)
    late = client.get(reverse("admin:visits_problem_changelist") + "?state=late").content.decode()

    def link(p):
        return reverse("admin:visits_problem_change", args=[p.pk])

    assert link(problem) in late  # due 30 days after 2026-03-02, long past
    assert link(on_time) not in late
