"""The problems (问题转交) and 救急难 ledgers: imported through the services, refused with every
reason at once, exported as people read them, and a round trip that changes nothing."""

import datetime
import decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from tests.conftest import workbook
from visits.models import EmergencyCase, Problem, ProblemCategory
from visits.services import emergency_report, problem_report
from xigang.ledgers import LedgerError, export_ledger, get_kind, import_ledger

D = datetime.date
PROBLEM_HEADERS = ["户编号", "问题类别", "发现日期", "问题描述", "上报人"]
CASE_HEADERS = ["户编号", "发生日期", "原因", "支出金额", "上报日期", "救助日期", "救助金额"]


def _import(user, name, source, dry_run=False):
    return import_ledger(get_kind(name)(user), source, dry_run=dry_run)


def _messages(report):
    return [str(e) for e in report.errors]


def _snapshot(model):
    return sorted(model.objects.values_list(), key=lambda r: r[0])


def test_problems_import_through_the_service(tmp_path, today, pairing, east_household):
    source = workbook(
        tmp_path / "p.xlsx",
        ["户编号", "问题类型", "发现时间", "问题内容", "上报人"],  # the spellings offices use
        [["东村-001", "危房改造", "2026年11月2日", "墙体开裂", "pairing"]],
        title="东村帮扶问题转交台账",
    )
    report = _import(pairing, "problems", source)
    assert report.ok and report.created == 1
    problem = Problem.objects.get()
    # routed to the category's department, due after the days in force, who and when entered
    assert problem.department == ProblemCategory.objects.get(name="危房改造").department
    assert problem.due > problem.found_on == D(2026, 11, 2)
    assert (problem.reported_by, problem.entered_by) == (pairing.cadre, pairing)
    assert problem.created_at is not None


def test_a_problem_file_is_refused_with_every_reason_and_nothing_written(
    tmp_path, today, office, east_household, west_household
):
    source = workbook(
        tmp_path / "p.xlsx",
        [*PROBLEM_HEADERS, "办结日期", "办理情况"],
        [
            ["东村-001", "修房子", "2026-11-02", "墙体开裂", None, None, None],
            ["东村-001", "危房改造", "2026-12-02", "墙体开裂", None, None, None],
            ["东村-009", "危房改造", "2026-11-02", "墙体开裂", None, None, None],
            ["东村-001", "危房改造", "2026-11-02", "漏雨", "nobody", None, None],
            ["东村-001", "危房改造", "2026-11-02", "漏水", None, "2026-11-03", None],
            ["东村-001", "危房改造", "2026-11-02", "墙裂", None, "2026-11-01", "已修"],
        ],
    )
    report = _import(office, "problems", source)
    messages = _messages(report)
    assert not report.written and len(messages) == 6
    assert "第2行「问题类别」列：「修房子」不在可选值中" in messages[0]
    assert "第3行「发现日期」列" in messages[1]
    assert "第4行「户编号」列" in messages[2]
    assert "第5行「上报人」列" in messages[3]
    assert "第6行「办理情况」列" in messages[4]
    assert "第7行「办结日期」列" in messages[5]
    assert not Problem.objects.exists()


def test_a_cadre_may_not_resolve_another_departments_problem_by_ledger(
    tmp_path, today, pairing, east_household
):
    source = workbook(
        tmp_path / "p.xlsx",
        [*PROBLEM_HEADERS, "办结日期", "办理情况"],
        [["东村-001", "危房改造", "2026-11-02", "墙体开裂", None, "2026-11-20", "已修缮"]],
    )
    report = _import(pairing, "problems", source)
    assert not report.ok
    assert "不能办结转交其他部门的问题" in _messages(report)[0]


def test_the_office_records_a_resolution_by_ledger(tmp_path, today, office, east_household):
    problem = problem_report(
        household=east_household,
        category=ProblemCategory.objects.get(name="危房改造"),
        description="墙体开裂",
        found_on=D(2026, 11, 2),
        entered_by=office,
    )
    source = workbook(
        tmp_path / "p.xlsx",
        [*PROBLEM_HEADERS, "办结日期", "办理情况"],
        [["东村-001", "危房改造", "2026-11-02", "墙体开裂", None, "2026-11-20", "已修缮"]],
    )
    report = _import(office, "problems", source)
    assert (report.ok, report.created, report.updated) == (True, 0, 1)
    problem.refresh_from_db()
    assert (problem.resolved_on, problem.resolution, problem.resolved_by) == (
        D(2026, 11, 20),
        "已修缮",
        office,
    )
    assert problem.resolved_at is not None


def test_the_emergency_ledger_imports_through_the_service(tmp_path, today, office, east_household):
    source = workbook(
        tmp_path / "e.xlsx",
        ["户编号", "事发日期", "救助原因", "医疗费用（元）", "上报时间", "发放日期", "救助资金"],
        [["东村-001", "2026-11-20", "因病", "12,000.50", 20261121, "2026-11-25", 3000]],
    )
    report = _import(office, "emergencies", source)
    assert report.ok and report.created == 1, report.lines()
    case = EmergencyCase.objects.get()
    assert (case.expense, case.aid_amount) == (decimal.Decimal("12000.50"), 3000)
    assert case.cadre.user.username == "pairing"  # the cadre paired on the day of the event
    assert (case.entered_by, case.aided_by) == (office, office)
    assert case.aided_at is not None and not case.late_entry


def test_an_emergency_file_is_refused_with_every_reason(tmp_path, today, pairing, east_household):
    source = workbook(
        tmp_path / "e.xlsx",
        CASE_HEADERS,
        [
            ["东村-001", "2026-11-20", "因病", "很多", "2026-11-21", None, None],
            ["东村-001", "2026-11-20", "因灾", 500, "2026-11-19", None, None],
            ["东村-001", "2026-11-21", "因病", 500.123, "2026-11-21", None, None],
            ["东村-001", "2026-11-22", "因病", 500, "2026-11-22", "2026-11-23", 100],
        ],
    )
    report = _import(pairing, "emergencies", source)
    messages = _messages(report)
    assert len(messages) == 4, messages
    assert "第2行「支出金额」列：「很多」不是金额" in messages[0]
    assert "第3行「上报日期」列" in messages[1]
    assert "第4行「支出金额」列" in messages[2]
    assert "第5行「救助日期」列" in messages[3]  # a pairing cadre records no aid
    assert not EmergencyCase.objects.exists()


def test_a_recorded_case_is_not_changed_silently(tmp_path, today, office, east_household):
    emergency_report(
        household=east_household,
        cause="因病",
        expense=decimal.Decimal("800"),
        occurred_on=D(2026, 11, 20),
        reported_on=D(2026, 11, 21),
        entered_by=office,
    )
    source = workbook(
        tmp_path / "e.xlsx",
        CASE_HEADERS,
        [["东村-001", "2026-11-20", "因病", 900, "2026-11-21", None, None]],
    )
    report = _import(office, "emergencies", source)
    assert _messages(report) == ["第2行「支出金额」列：已登记为「800.00」，台账不能修改"]


@pytest.mark.parametrize("name", ["problems", "emergencies"])
def test_a_round_trip_changes_nothing(tmp_path, today, office, east_household, name):
    category = ProblemCategory.objects.get(name="危房改造")
    for n, text in enumerate(["=墙体开裂", "漏雨\n屋顶"]):
        problem_report(
            household=east_household,
            category=category,
            description=text,
            found_on=D(2026, 11, 2 + n),
            reported_by=east_household.pairings.get().cadre,
            entered_by=office,
        )
    emergency_report(
        household=east_household,
        cause="因灾",
        expense=decimal.Decimal("1234.56"),
        occurred_on=D(2026, 11, 1),
        reported_on=D(2026, 11, 2),
        description="房屋受损",
        entered_by=office,
    )
    emergency_report(
        household=east_household,
        cause="因病",
        expense=decimal.Decimal("0.10"),
        occurred_on=D(2026, 11, 3),
        reported_on=D(2026, 11, 3),
        entered_by=office,
    )
    model = Problem if name == "problems" else EmergencyCase
    before = _snapshot(model)
    out = tmp_path / "export.xlsx"
    assert export_ledger(get_kind(name)(office), out) == 2
    report = _import(office, name, out)
    assert (report.ok, report.created, report.updated, report.unchanged) == (True, 0, 0, 2)
    assert _snapshot(model) == before


def test_the_exports_name_people_and_keep_dates(tmp_path, today, office, east_household):
    problem_report(
        household=east_household,
        category=ProblemCategory.objects.get(name="危房改造"),
        description="墙体开裂",
        found_on=D(2026, 11, 2),
        reported_by=east_household.pairings.get().cadre,
        entered_by=office,
    )
    out = tmp_path / "export.xlsx"
    export_ledger(get_kind("problems")(office), out)
    sheet = openpyxl.load_workbook(out).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[2]
    record = dict(zip(header, rows[3], strict=True))
    assert record["户主姓名"] == "张三" and record["上报人姓名"] == "pairing"
    assert record["责任部门"] == "村建办"
    assert record["发现日期"] == datetime.datetime(2026, 11, 2)  # a date cell, not text
    assert record["录入人"] == "office"
    assert sheet.freeze_panes == "A4" and sheet.auto_filter.ref.startswith("A3:")


def test_the_command_needs_a_user(tmp_path, today, east_household):
    source = workbook(tmp_path / "e.xlsx", CASE_HEADERS, [])
    with pytest.raises(CommandError, match="--user"):
        call_command("import_ledger", "emergencies", str(source), "--dry-run")


def test_outside_the_scope_a_household_looks_missing(tmp_path, today, west_pairing, east_household):
    source = workbook(
        tmp_path / "p.xlsx",
        PROBLEM_HEADERS,
        [["东村-001", "危房改造", "2026-11-02", "墙体开裂", None]],
    )
    report = _import(west_pairing, "problems", source)
    assert _messages(report) == ["第2行「户编号」列：没有您可以登记的贫困户「东村-001」"]


def test_a_department_may_not_import_problems(tmp_path, dept):
    source = workbook(tmp_path / "p.xlsx", PROBLEM_HEADERS, [])
    with pytest.raises(LedgerError):
        _import(dept, "problems", source)


@pytest.mark.parametrize("name", ["problems", "emergencies"])
def test_checking_a_file_reads_the_same_queries_for_two_rows_or_twelve(
    tmp_path, today, office, east_household, name
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(count):
        if name == "problems":
            headers = PROBLEM_HEADERS
            rows = [
                ["东村-001", "危房改造", "2026-11-02", f"问题{n}", "pairing"] for n in range(count)
            ]
        else:
            headers = [*CASE_HEADERS, "帮扶责任人"]
            rows = [
                [
                    "东村-001",
                    D(2026, 11, 1 + n),
                    "因病",
                    100,
                    D(2026, 11, 1 + n),
                    None,
                    None,
                    "pairing",
                ]
                for n in range(count)
            ]
        source = workbook(tmp_path / f"{count}.xlsx", headers, rows)
        with CaptureQueriesContext(connection) as captured:
            assert _import(office, name, source, dry_run=True).ok
        return len(captured)

    queries(1)  # the user's permissions and scope are read once, then cached
    assert queries(2) == queries(12)
