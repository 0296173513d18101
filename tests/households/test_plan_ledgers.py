"""The plans (一户一策) and measures (帮扶措施落实) ledgers imported through the services of
households.plans: a round trip changes nothing, new rows carry the importer as author, a file
with errors writes nothing and lists every error, households out of scope are "not found"."""

import datetime
import decimal

import pytest

from households.models import HelpMeasure, HelpPlan, PlanStep
from households.plans import measure_add, measure_deliver, plan_start, plan_step_record
from households.services import plan_approve
from tests.conftest import workbook
from xigang.ledgers import export_ledger, get_kind, import_ledger

D = datetime.date
PLAN_HEADERS = ["户编号", "年度", "帮扶计划", "入户调查日期", "致贫原因分析日期", "措施制定日期"]
MEASURE_HEADERS = ["户编号", "年度", "帮扶措施", "责任部门", "应完成日期", "金额（元）"]
MEASURE_HEADERS += ["落实日期", "佐证"]


def _import(user, name, source):
    return import_ledger(get_kind(name)(user), source)


def _snapshot():
    return [
        sorted(model.objects.values_list(), key=lambda r: r[0])
        for model in (HelpPlan, PlanStep, HelpMeasure)
    ]


def test_a_round_trip_of_both_ledgers_changes_nothing(
    tmp_path, today, office, leader, east_household
):
    plan = plan_start(household=east_household, year=2026, summary="产业扶贫")
    for i, step in enumerate(("survey", "causes", "measures", "village")):
        plan_step_record(plan=plan, step=step, done_on=D(2026, 1, 5 + i), by=office)
    plan_approve(plan=plan, by=leader)
    plan_step_record(plan=plan, step="review", done_on=today, by=office)
    done = measure_add(plan=plan, kind="低保五保", due=D(2026, 5, 1), amount=decimal.Decimal("0.1"))
    measure_deliver(measure=done, done_on=D(2026, 4, 20), by=office, evidence="=发放名册")
    measure_add(plan=plan, kind="残疾人补贴", due=D(2026, 12, 1))
    before = _snapshot()
    for name, count in (("plans", 1), ("measures", 2)):
        out = tmp_path / f"{name}.xlsx"
        assert export_ledger(get_kind(name)(office), out) == count
        report = _import(office, name, out)
        assert report.ok, report.lines()
        assert (report.created, report.updated, report.unchanged) == (0, 0, count)
    assert _snapshot() == before


def test_an_import_creates_plans_steps_and_measures_with_the_importer_as_author(
    tmp_path, today, pairing, east_household
):
    plans = workbook(
        tmp_path / "plans.xlsx",
        PLAN_HEADERS,
        [["东村-001", 2026, "产业扶贫", D(2026, 2, 1), "2026-02-03", None]],
    )
    report = _import(pairing, "plans", plans)
    assert (report.ok, report.created) == (True, 1), report.lines()
    plan = HelpPlan.objects.get(household=east_household, year=2026)
    assert plan.summary == "产业扶贫"
    steps = plan.steps.order_by("done_on")
    assert [(s.step, s.done_on, s.entered_by) for s in steps] == [
        ("survey", D(2026, 2, 1), pairing),
        ("causes", D(2026, 2, 3), pairing),
    ]
    # the same file again with the next step added: one step more, the others untouched
    plans = workbook(
        tmp_path / "plans2.xlsx",
        PLAN_HEADERS,
        [["东村-001", 2026, "产业扶贫", D(2026, 2, 1), D(2026, 2, 3), D(2026, 2, 9)]],
    )
    report = _import(pairing, "plans", plans)
    assert (report.ok, report.updated) == (True, 1), report.lines()
    assert plan.steps.get(step="measures").done_on == D(2026, 2, 9)
    measures = workbook(
        tmp_path / "measures.xlsx",
        MEASURE_HEADERS,
        [
            ["东村-001", 2026, "低保五保", None, D(2026, 5, 1), 1200, D(2026, 4, 2), "名册"],
            ["东村-001", 2026, "产业扶贫", "扶贫办", D(2026, 6, 1), None, None, None],
        ],
    )
    report = _import(pairing, "measures", measures)
    assert (report.ok, report.created) == (True, 2), report.lines()
    delivered = HelpMeasure.objects.get(kind="低保五保")
    assert (delivered.department.name, delivered.amount) == ("民政科", decimal.Decimal("1200"))
    assert (delivered.status, delivered.done_on, delivered.done_by) == (
        "done",
        D(2026, 4, 2),
        pairing,
    )
    assert delivered.done_at is not None  # set by the server
    assert HelpMeasure.objects.get(kind="产业扶贫").status == "planned"
    # a later file adds the delivery of the second measure, nothing else
    measures = workbook(
        tmp_path / "measures2.xlsx",
        MEASURE_HEADERS,
        [["东村-001", 2026, "产业扶贫", "扶贫办", D(2026, 6, 1), None, D(2026, 6, 1), "合同"]],
    )
    report = _import(pairing, "measures", measures)
    assert (report.ok, report.updated) == (True, 1), report.lines()
    industry = HelpMeasure.objects.get(kind="产业扶贫")
    assert (industry.done_on, industry.evidence, industry.done_by) == (
        D(2026, 6, 1),
        "合同",
        pairing,
    )


def test_a_file_with_errors_writes_nothing_and_lists_every_error(
    tmp_path, today, office, east_household, west_household
):
    plan = plan_start(household=east_household, year=2026)
    plan_step_record(plan=plan, step="survey", done_on=D(2026, 2, 1), by=office)
    measure_add(plan=plan, kind="低保五保", due=D(2026, 5, 1))
    before = _snapshot()
    plans = workbook(
        tmp_path / "plans.xlsx",
        PLAN_HEADERS,
        [
            ["东村-001", 2026, None, D(2026, 2, 2), None, None],  # a recorded step differs
            ["西村-001", 2026, "新计划", D(2026, 3, 1), None, D(2026, 3, 5)],  # a step skipped
            ["西村-001", 2025, None, D(2026, 3, 1), D(2026, 2, 1), None],  # before the survey
            ["西村-001", 2024, None, D(2099, 1, 1), None, None],  # in the future
            ["无此户", 2026, None, None, None, None],
        ],
    )
    report = _import(office, "plans", plans)
    assert not report.written
    assert [(e.row, e.header) for e in report.errors] == [
        (2, "入户调查日期"),
        (3, "措施制定日期"),
        (4, "致贫原因分析日期"),
        (5, "入户调查日期"),
        (6, "户编号"),
    ]
    assert "2026-02-01" in report.errors[0].message
    measures = workbook(
        tmp_path / "measures.xlsx",
        MEASURE_HEADERS,
        [
            ["东村-001", 2026, "低保五保", "扶贫办", None, None, None, None],  # department differs
            ["东村-001", 2026, "残疾人补贴", None, None, None, None, None],  # no due day
            ["东村-001", 2026, "教育资助", "无此科", D(2026, 9, 1), None, None, None],
            ["东村-001", 2026, "雨露计划", None, D(2026, 9, 1), None, D(2026, 9, 1), None],
            ["东村-001", 2025, "高龄补贴", None, D(2026, 9, 1), None, None, None],  # no plan
        ],
    )
    report = _import(office, "measures", measures)
    assert [(e.row, e.header) for e in report.errors] == [
        (2, "责任部门"),
        (3, "应完成日期"),
        (4, "责任部门"),
        (5, "佐证"),
        (6, "年度"),
    ]
    assert all(str(e).startswith("第") for e in report.errors)  # Chinese, naming the row
    assert _snapshot() == before


@pytest.mark.parametrize("name", ["plans", "measures"])
def test_households_out_of_scope_are_not_found(tmp_path, today, east_cadre, west_household, name):
    plan_start(household=west_household, year=2026)
    headers = PLAN_HEADERS[:2] if name == "plans" else MEASURE_HEADERS[:3] + ["应完成日期"]
    row = ["西村-001", 2026] + ([] if name == "plans" else ["低保五保", D(2026, 5, 1)])
    report = _import(east_cadre, name, workbook(tmp_path / "f.xlsx", headers, [row]))
    [error] = report.errors
    assert (error.row, error.header) == (2, "户编号")
    assert "西村-001" in error.message
    assert HelpMeasure.objects.count() == 0
    assert HelpPlan.objects.count() == 1
