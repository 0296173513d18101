"""一户一策 (art. 34): the steps in order, approval, and the rules plan.exists, plan.review and
measure.deliver (owed, met, overdue, pending; who answers)."""

import datetime

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from duties.models import Department, RuleParameter
from households.models import HelpMeasure, HelpPlan, Household, Pairing, PlanStep
from households.plan_rules import MeasureDeliverRule, PlanExistsRule, PlanReviewRule
from households.plans import measure_add, measure_deliver, plan_start, plan_step_record
from households.services import plan_approve
from tests.conftest import SHANGHAI, make_user
from xigang import roles
from xigang.ledgers import export_ledger, get_kind
from xigang.obligations import Filters, MetLater, overdue_items, pending_items, tally
from xigang.scope import visible

D = datetime.date
SINCE = D(2019, 6, 15)


@pytest.fixture(autouse=True)
def _live_this_year(settings):
    settings.GO_LIVE = D(2026, 1, 1)  # the household's pairing (2026-01-01) is owed a plan


def _items(user, as_of, rule, **filters):
    return overdue_items(user=user, as_of=as_of, since=SINCE, filters=Filters(rule=rule, **filters))


def _pending(user, as_of, rule):
    return pending_items(user=user, as_of=as_of, filters=Filters(rule=rule))


def _approved_plan(household, leader, year=2026):
    plan = plan_start(household=household, year=year, summary="产业扶贫")
    for i, step in enumerate(("survey", "causes", "measures", "village")):
        plan_step_record(plan=plan, step=step, done_on=D(2026, 1, 5 + i), by=None)
    return plan_approve(plan=plan, by=leader)


def test_a_household_without_an_approved_plan_is_overdue_for_its_cadre_and_village(
    east_household, pairing, east_cadre, dept, west_cadre
):
    # paired 2026-01-01, 60 days allowed: due 2026-03-02
    [item] = _items(pairing, D(2026, 4, 1), "plan.exists")
    assert (item.due, item.days_overdue, item.cadre, item.village) == (
        D(2026, 3, 2),
        30,
        "pairing",
        "东村",
    )
    assert item.department is None
    assert len(_items(east_cadre, D(2026, 4, 1), "plan.exists")) == 1
    assert _items(dept, D(2026, 4, 1), "plan.exists") == []
    assert _items(west_cadre, D(2026, 4, 1), "plan.exists") == []
    # not late yet on its due day; due soon in the fortnight before
    assert _items(pairing, D(2026, 3, 2), "plan.exists") == []
    [soon] = _pending(pairing, D(2026, 2, 20), "plan.exists")
    assert soon.due == D(2026, 3, 2)


def test_an_approved_plan_meets_plan_exists(east_household, pairing, leader, today):
    _approved_plan(east_household, leader)
    assert _items(pairing, today + datetime.timedelta(days=1), "plan.exists") == []
    # as of a day before the approval the plan was still missing
    assert len(_items(pairing, today - datetime.timedelta(days=1), "plan.exists")) == 1


def test_the_steps_go_in_order_and_the_town_approves_last(east_household, leader, today):
    plan = plan_start(household=east_household, year=2026)
    with pytest.raises(ValidationError, match="请先记录"):
        plan_step_record(plan=plan, step="village", done_on=D(2026, 2, 1), by=None)
    with pytest.raises(ValidationError, match="晚于今天|将来|未来"):
        plan_step_record(
            plan=plan, step="survey", done_on=today + datetime.timedelta(days=1), by=None
        )
    with pytest.raises(ValidationError, match="村级审核"):
        plan_approve(plan=plan, by=leader)
    plan_step_record(plan=plan, step="survey", done_on=D(2026, 2, 1), by=leader)
    with pytest.raises(ValidationError):
        plan_step_record(plan=plan, step="causes", done_on=D(2026, 1, 20), by=None)
    assert PlanStep.objects.get().entered_by == leader
    assert not HelpPlan.objects.get().approved_on


def test_a_plan_is_reviewed_each_year(east_household, pairing, leader, today):
    plan = _approved_plan(east_household, leader)
    # approved 2026-11-30: the 2027 review is due 2027-01-01 + 90 days
    [item] = _items(pairing, D(2027, 4, 15), "plan.review")
    assert (item.period, item.due, item.cadre) == ("2027", D(2027, 4, 1), "pairing")
    assert _items(pairing, D(2026, 12, 31), "plan.review") == []
    with pytest.raises(ValidationError):
        plan_step_record(plan=plan, step="review", done_on=D(2026, 1, 1), by=None)


def test_a_measure_is_overdue_for_its_department_only(east_household, pairing, dept, east_cadre):
    plan = plan_start(household=east_household, year=2026)
    measure_add(plan=plan, kind="低保五保", due=D(2026, 5, 1))  # 民政科
    measure_add(plan=plan, kind="残疾人补贴", due=D(2026, 5, 1))  # 残联
    [item] = _items(dept, D(2026, 6, 1), "measure.deliver")
    assert (item.department, item.days_overdue, item.household) == ("民政科", 31, "东村-001")
    assert len(_items(east_cadre, D(2026, 6, 1), "measure.deliver")) == 2
    assert _items(east_cadre, D(2026, 6, 1), "measure.deliver", cadre="pairing") == []
    [soon] = _pending(dept, D(2026, 4, 25), "measure.deliver")
    assert soon.department == "民政科"
    # the department sees its own measures, not the other department's of the same household
    assert list(visible(dept, HelpMeasure.objects.all()).values_list("kind", flat=True)) == [
        "低保五保"
    ]


def test_a_measure_is_carried_out_with_evidence(east_household, dept, today):
    plan = plan_start(household=east_household, year=2026)
    measure = measure_add(plan=plan, kind="低保五保", due=D(2026, 5, 1))
    with pytest.raises(ValidationError, match="佐证"):
        measure_deliver(measure=measure, done_on=D(2026, 6, 1), by=dept)
    measure_deliver(measure=measure, done_on=D(2026, 6, 1), by=dept, evidence="已发放")
    measure.refresh_from_db()
    assert measure.done_by == dept and measure.done_at is not None
    assert measure.status == HelpMeasure.Status.DONE
    assert _items(dept, today + datetime.timedelta(days=1), "measure.deliver") == []


def test_a_cadre_records_a_step_on_the_phone_form(
    client, east_household, pairing, today, django_assert_num_queries
):
    plan = plan_start(household=east_household, year=2026)
    client.force_login(pairing)
    url = reverse("households:plan_step", args=[plan.pk])
    client.get(url)
    # session, user, permissions, the scope (5), the plan, the steps done, the header's unread
    # messages
    with django_assert_num_queries(11):
        assert client.get(url).status_code == 200
    response = client.post(url, {"step": "village", "done_on": "2026-11-01"})
    assert "请先记录" in response.content.decode()
    response = client.post(url, {"step": "survey", "done_on": "2026-11-01"})
    assert response.status_code == 302
    page = client.get(reverse("dashboard:household", args=["东村-001"])).content.decode()
    assert "2026-11-01" in page and "pairing" in page


def test_another_department_does_not_see_the_measure(east_household, civil_affairs):
    other = make_user("disabled_fed", roles.DEPARTMENT, Department.objects.get(name="残联"))
    plan = plan_start(household=east_household, year=2026)
    measure_add(plan=plan, kind="低保五保", due=D(2026, 5, 1))
    assert _items(other, D(2026, 6, 1), "measure.deliver") == []
    assert not visible(other, HelpMeasure.objects.all()).exists()


def test_the_plan_and_measure_ledgers_export_within_scope(tmp_path, east_household, dept, office):
    plan = plan_start(household=east_household, year=2026, summary="产业扶贫")
    plan_step_record(plan=plan, step="survey", done_on=D(2026, 2, 1), by=office)
    measure_add(plan=plan, kind="低保五保", due=D(2026, 5, 1))
    measure_add(plan=plan, kind="残疾人补贴", due=D(2026, 5, 1))
    path = tmp_path / "plans.xlsx"
    export_ledger(get_kind("plans")(office), path)
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert rows[2][:6] == ("户编号", "村", "户主", "年度", "帮扶计划", "入户调查日期")
    assert rows[3][:6] == (
        "东村-001",
        "东村",
        "张三",
        2026,
        "产业扶贫",
        datetime.datetime(2026, 2, 1),
    )
    export_ledger(get_kind("measures")(dept), path)
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert [row[3:5] for row in rows[3:]] == [("低保五保", "民政科")]  # 民政科's own only


def test_a_cadre_keeps_their_items_when_a_later_household_was_handed_on(
    east, east_household, pairing
):
    # 东村-002 (a later row) went to a successor before its due day: its item is the
    # successor's; the cadre still sees their own 东村-001, and not the successor's.
    successor = make_user("successor", roles.PAIRING, east)
    later = Household.objects.create(number="东村-002", village=east, head_name="王五")
    Pairing.objects.create(
        household=later, cadre=pairing.cadre, start=D(2026, 1, 1), end=D(2026, 1, 31)
    )
    Pairing.objects.create(household=later, cadre=successor.cadre, start=D(2026, 2, 1))
    assert [i.household for i in _items(pairing, D(2026, 4, 1), "plan.exists")] == ["东村-001"]
    assert [i.household for i in _items(successor, D(2026, 4, 1), "plan.exists")] == ["东村-002"]


def _at(time_machine, day):
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(12), SHANGHAI))


@pytest.mark.parametrize("entered, late", [(D(2027, 4, 2), False), (D(2027, 4, 3), True)])
def test_a_review_entered_after_the_day_after_its_due_day_is_met_late(
    time_machine, east_household, pairing, leader, entered, late
):
    _at(time_machine, D(2026, 3, 1))
    plan = _approved_plan(east_household, leader)
    _at(time_machine, entered)
    plan_step_record(plan=plan, step="review", done_on=D(2027, 3, 15), by=None)
    # The 2027 review is due 2027-04-01: the list of 2 April shows it unless entered by then.
    listed = _items(pairing, D(2027, 4, 2), "plan.review")
    assert [(i.period, i.due) for i in listed] == ([("2027", D(2027, 4, 1))] if late else [])
    assert _items(pairing, D(2027, 5, 1), "plan.review") == []
    later = PlanReviewRule().met_later(
        user=pairing, as_of=D(2027, 5, 1), since=SINCE, filters=Filters()
    )
    assert later == ([MetLater("plan.review", D(2027, 4, 1), entered, 1)] if late else [])


def test_a_review_dated_in_december_and_entered_in_january_meets_the_new_year(
    time_machine, east_household, pairing, leader
):
    _at(time_machine, D(2026, 3, 1))
    plan = _approved_plan(east_household, leader)
    _at(time_machine, D(2027, 1, 5))
    plan_step_record(plan=plan, step="review", done_on=D(2026, 12, 20), by=None)
    assert _items(pairing, D(2027, 5, 1), "plan.review") == []


@pytest.mark.parametrize("approved, late", [(D(2026, 2, 1), False), (D(2026, 2, 2), True)])
def test_the_days_allowed_for_a_plan_are_those_in_force_on_the_pairing_day(
    time_machine, east_household, pairing, leader, approved, late
):
    # 30 days from 2026-01-01 (art. 44), the pairing's first day: due 2026-01-31.
    RuleParameter.objects.create(
        rule="plan.exists", name="days", value=30, effective_from=D(2026, 1, 1)
    )
    [item] = _items(pairing, D(2026, 2, 1), "plan.exists")
    assert item.due == D(2026, 1, 31)
    _at(time_machine, approved)
    _approved_plan(east_household, leader)
    assert _items(pairing, D(2026, 3, 1), "plan.exists") == []
    later = PlanExistsRule().met_later(
        user=pairing, as_of=D(2026, 3, 1), since=SINCE, filters=Filters()
    )
    assert later == ([MetLater("plan.exists", D(2026, 1, 31), approved, 1)] if late else [])


def test_the_measures_counted_are_those_listed(east_household, west_household, dept, inspector):
    # 民政科's two measures due the same day in 东村 count as one tally of 2; 残联's, the next
    # day's and 西村's are one each.
    plans = [plan_start(household=h, year=2026) for h in (east_household, west_household)]
    for plan, kind, day in [
        (plans[0], "低保五保", D(2026, 5, 1)),
        (plans[0], "临时救助", D(2026, 5, 1)),
        (plans[0], "残疾人补贴", D(2026, 5, 1)),
        (plans[0], "低保五保", D(2026, 5, 2)),
        (plans[1], "低保五保", D(2026, 5, 1)),
    ]:
        measure_add(plan=plan, kind=kind, due=day)
    rule = MeasureDeliverRule()
    for user in (inspector, dept):
        for filters in (Filters(), Filters(village="东村"), Filters(department="残联")):
            kw = dict(user=user, as_of=D(2026, 6, 1), since=SINCE, filters=filters)
            counted = rule.tallies(**kw)
            assert sorted(counted, key=repr) == sorted(tally(rule.overdue(**kw)), key=repr)
    assert sorted(
        t.count
        for t in rule.tallies(user=inspector, as_of=D(2026, 6, 1), since=SINCE, filters=Filters())
    ) == [1, 1, 1, 2]
