"""The rules of projects and assets (arts. 10, 33, 35): owed, met, late, pending, and who
answers."""

import datetime

import pytest
from django.utils import timezone

from duties.models import RuleParameter
from projects.models import Notice
from tests.projects.conftest import make_asset, make_distribution, make_notice, make_project
from xigang.obligations import Filters, overdue_items, pending_items, rule_label

D = datetime.date
AS_OF, SINCE = D(2026, 12, 31), D(2024, 1, 1)
START = "project.notice_start"
FINISH = "project.notice_finish"
ACCEPT = "project.acceptance"
DISTRIBUTION = "asset.distribution"


def _items(user, rule, as_of=AS_OF, **filters):
    return overdue_items(user=user, as_of=as_of, since=SINCE, filters=Filters(rule=rule, **filters))


def test_a_project_without_its_notice_before_the_start_is_overdue_for_its_village(
    office, east_project
):
    [item] = _items(office, START)
    assert (item.rule, item.article, item.period, item.due) == (
        START,
        35,
        "2026-03-10",
        D(2026, 3, 3),  # 7 days before the planned start
    )
    assert (item.village, item.department, item.cadre) == ("东村", None, None)
    assert item.days_overdue == (AS_OF - D(2026, 3, 3)).days
    assert "东村光伏电站" in item.subject
    assert item.link == f"/projects/{east_project.pk}/"


def test_a_notice_on_the_due_day_meets_it_and_a_later_one_stays_late(office, east, west):
    on_time = make_project("按时", east)
    late = make_project("迟了", west)
    make_notice(office, Notice.Stage.BEFORE_START, D(2026, 3, 3), project=on_time)
    make_notice(office, Notice.Stage.BEFORE_START, D(2026, 3, 5), project=late)
    # an after-completion notice does not meet the notice before the start
    make_notice(office, Notice.Stage.AFTER_FINISH, D(2026, 3, 1), project=on_time)
    assert [(i.village, i.days_overdue) for i in _items(office, START)] == [("西村", 2)]


def test_the_actual_start_replaces_the_planned_one(office, east):
    make_project("提前开工", east, started_on=D(2026, 3, 1))
    assert [i.due for i in _items(office, START)] == [D(2026, 2, 22)]


def test_the_days_in_force_on_the_start_apply(office, east):
    RuleParameter.objects.create(rule=START, name="days", value=3, effective_from=D(2026, 3, 1))
    project = make_project("新规定", east)
    make_notice(office, Notice.Stage.BEFORE_START, D(2026, 3, 7), project=project)
    assert _items(office, START) == []  # 3 days before the 10th


def test_a_start_coming_soon_without_a_notice_is_pending(office, east_project):
    assert _items(office, START, as_of=D(2026, 2, 20)) == []
    [item] = pending_items(user=office, as_of=D(2026, 2, 20), filters=Filters(rule=START))
    assert (item.due, item.days_overdue) == (D(2026, 3, 3), 0)
    assert pending_items(user=office, as_of=D(2026, 1, 20), filters=Filters(rule=START)) == []


def test_a_town_level_projects_notice_is_owed_by_its_department(office, dept, town_project):
    [item] = _items(office, START)
    assert (item.village, item.department) == (None, "民政科")
    assert [i.subject for i in _items(dept, START)] == [item.subject]
    assert _items(office, START, department="农业办") == []


def test_completion_notice_and_acceptance_run_from_the_finish(office, east):
    project = make_project("完工", east, started_on=D(2026, 3, 10), finished_on=D(2026, 6, 1))
    make_notice(office, Notice.Stage.BEFORE_START, D(2026, 3, 1), project=project)
    [notice] = _items(office, FINISH)
    assert (notice.due, notice.village, notice.department) == (D(2026, 6, 11), "东村", None)
    [accept] = _items(office, ACCEPT)
    assert (accept.article, accept.due, accept.department) == (33, D(2026, 7, 1), "农业办")
    # accepted late: the item stays, counted to the acceptance day
    project.accepted_on, project.accepted_by = D(2026, 7, 11), office
    project.accepted_at = timezone.now()  # after go-live: history counts by its date
    project.save()
    make_notice(office, Notice.Stage.AFTER_FINISH, D(2026, 6, 11), project=project)
    assert [i.days_overdue for i in _items(office, ACCEPT)] == [10]
    assert _items(office, FINISH) == []
    # before the acceptance day, it was open
    assert [i.days_overdue for i in _items(office, ACCEPT, as_of=D(2026, 7, 5))] == [4]


def test_each_year_of_an_asset_owes_its_distribution_with_its_notice(office, east_project):
    asset = make_asset(east_project, registered_on=D(2024, 6, 1))
    met = make_distribution(asset, 2024, office, D(2025, 3, 1))
    make_notice(office, Notice.Stage.DISTRIBUTION, D(2025, 3, 5), distribution=met)
    make_distribution(asset, 2025, office, D(2026, 3, 1))  # recorded, its 公示 missing
    items = _items(office, DISTRIBUTION)
    assert [(i.period, i.due, i.village, i.department, i.article) for i in items] == [
        ("2025", D(2026, 3, 31), "东村", "经管站", 33)
    ]
    # 2026 falls due on 2027-03-31: neither overdue nor due soon at the year's end
    assert pending_items(user=office, as_of=AS_OF, filters=Filters(rule=DISTRIBUTION)) == []


def test_no_cadre_answers_and_the_rules_have_their_own_names(office, east_project):
    assert _items(office, START, cadre="pairing") == []
    assert rule_label(START) != START
    assert {rule_label(r) for r in (START, FINISH, ACCEPT, DISTRIBUTION)} == {
        "项目开工前公示",
        "项目完工后公示",
        "项目竣工验收",
        "扶贫资产收益分配",
    }


@pytest.mark.parametrize(
    ("role", "seen"),
    [
        ("leader", {"东村", "西村", None}),
        ("office", {"东村", "西村", None}),
        ("inspector", {"东村", "西村", None}),
        ("dept", {None}),
        ("east_cadre", {"东村"}),
        ("west_cadre", {"西村"}),
        ("pairing", set()),
        ("outsider", set()),
    ],
)
def test_each_role_sees_the_items_of_its_own_projects(cast, projects, role, seen):
    assert {i.village for i in _items(cast[role], START)} == seen
