"""Services (visits, problems, 救急难), the rules problem.resolve and emergency.aid, and the
`overdue` command's output."""

import datetime
import decimal
import json

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from duties.models import RuleParameter
from households.models import Pairing
from households.services import pairing_start
from visits.models import EmergencyCase, Problem, ProblemCategory, Visit
from visits.rules import EmergencyAidRule, ProblemResolveRule
from visits.services import (
    emergency_aid,
    emergency_report,
    problem_report,
    problem_resolve,
    visit_record,
)
from xigang.obligations import Filters

D = datetime.date


@pytest.fixture
def housing():
    return ProblemCategory.objects.get(name="危房改造")


def test_the_categories_of_art_39_are_routed_by_the_regulation(db):
    routes = dict(ProblemCategory.objects.values_list("name", "department__name"))
    assert routes["危房改造"] == routes["裂缝漏雨房屋维修"] == "村建办"
    assert routes["学生资助"] == "西岗学区"
    assert routes["残疾人办证"] == "残联"
    assert routes["重大病救助"] == "卫生院"
    assert routes["低保五保"] == "民政科"
    assert routes["饮水安全"] == "水利站"
    assert ProblemCategory.objects.get(name="危房改造").article_id == 11


@pytest.mark.usefixtures("today")
def test_a_visit_is_recorded_by_the_paired_cadre(east_household, pairing):
    visit = visit_record(
        household=east_household,
        cadre=pairing.cadre,
        kind=Visit.Kind.HOME,
        on=D(2026, 3, 2),
        content=" 宣传扶贫政策，了解收入情况 ",
    )
    assert (visit.content, visit.created_at is not None) == ("宣传扶贫政策，了解收入情况", True)


@pytest.mark.usefixtures("today")
def test_a_visit_before_the_pairing_or_in_the_future_is_refused(east_household, pairing):
    with pytest.raises(ValidationError) as exc:
        visit_record(
            household=east_household,
            cadre=pairing.cadre,
            kind=Visit.Kind.HOME,
            on=D(2025, 12, 31),
            content="入户了解收入和就医情况",
        )
    assert "未" in str(exc.value.message_dict["cadre"]) or "not paired" in str(exc.value)
    with pytest.raises(ValidationError):
        visit_record(
            household=east_household,
            cadre=pairing.cadre,
            kind=Visit.Kind.HOME,
            on=D(2099, 1, 1),
            content="入户了解收入和就医情况",
        )
    assert not Visit.objects.exists()


@pytest.mark.usefixtures("today")
def test_a_problem_goes_to_its_department_due_after_the_days_in_force(
    east_household, pairing, housing, office
):
    problem = problem_report(
        household=east_household,
        category=housing,
        description="墙体裂缝",
        found_on=D(2026, 3, 2),
        reported_by=pairing.cadre,
    )
    assert (problem.department.name, problem.due) == ("村建办", D(2026, 4, 1))
    RuleParameter.objects.create(
        rule="problem.resolve", name="days", value=15, effective_from=D(2026, 5, 1)
    )
    later = problem_report(
        household=east_household, category=housing, description="漏雨", found_on=D(2026, 5, 1)
    )
    assert later.due == D(2026, 5, 16)
    # the change does not rewrite the past
    problem.refresh_from_db()
    assert problem.due == D(2026, 4, 1)


@pytest.mark.usefixtures("today")
def test_only_the_department_routed_to_resolves(east_household, housing, dept, office):
    problem = problem_report(
        household=east_household, category=housing, description="墙体裂缝", found_on=D(2026, 3, 2)
    )
    with pytest.raises(PermissionDenied):  # dept is 民政科, the problem went to 村建办
        problem_resolve(problem=problem, resolution="已修缮", resolved_on=D(2026, 3, 20), user=dept)
    problem_resolve(problem=problem, resolution="已修缮", resolved_on=D(2026, 3, 20), user=office)
    problem.refresh_from_db()
    assert (problem.resolved_on, problem.resolved_by) == (D(2026, 3, 20), office)


@pytest.mark.usefixtures("today")
def test_problem_resolve_rule_lists_problems_open_past_due(east_household, housing, office):
    problem = problem_report(
        household=east_household, category=housing, description="墙体裂缝", found_on=D(2026, 3, 2)
    )  # due 2026-04-01
    rule = ProblemResolveRule()

    def late(as_of, since=None, **f):
        since = since or D(2026, 1, 1)
        return [
            (i.household, i.department, i.days_overdue)
            for i in rule.overdue(user=office, as_of=as_of, since=since, filters=Filters(**f))
        ]

    assert late(D(2026, 4, 1)) == []  # due today: not yet late
    assert late(D(2026, 4, 2)) == [("东村-001", "村建办", 1)]
    assert late(D(2026, 4, 2), department="民政科") == []
    assert late(D(2026, 4, 2), since=D(2026, 3, 3)) == []
    pending = rule.pending(user=office, as_of=D(2026, 3, 25), filters=Filters())
    assert [i.due for i in pending] == [D(2026, 4, 1)]
    problem_resolve(problem=problem, resolution="已修缮", resolved_on=D(2026, 4, 10), user=office)
    assert late(D(2026, 4, 5)) == [("东村-001", "村建办", 4)]  # still open on that day
    assert late(D(2026, 4, 10)) == []


@pytest.mark.usefixtures("today")
def test_emergency_aid_rule_counts_seven_days_from_the_report(east_household, pairing, office):
    case = emergency_report(
        household=east_household,
        cause=EmergencyCase.Cause.ILLNESS,
        expense=decimal.Decimal("30000"),
        occurred_on=D(2026, 6, 1),
        reported_on=D(2026, 6, 1),
    )
    assert case.cadre == pairing.cadre  # the cadre paired that day
    rule = EmergencyAidRule()

    def late(as_of):
        return [
            (i.due, i.days_overdue, i.cadre, i.department)
            for i in rule.overdue(user=office, as_of=as_of, since=D(2026, 1, 1), filters=Filters())
        ]

    assert late(D(2026, 6, 8)) == []
    assert late(D(2026, 6, 9)) == [(D(2026, 6, 8), 1, "pairing", "民政科")]
    emergency_aid(
        case=case, aided_on=D(2026, 6, 5), aid_amount=decimal.Decimal("5000"), user=office
    )
    assert late(D(2026, 6, 9)) == []


def test_the_command_prints_the_documented_json(east_household, pairing, tmp_path, db):
    Visit.objects.create(
        household=east_household, cadre=pairing.cadre, kind=Visit.Kind.HOME, on=D(2026, 2, 1)
    )
    out = tmp_path / "overdue.json"
    call_command(
        "overdue",
        "--as-of=2026-07-15",
        "--since=2026-01-01",
        "--rule=pairing.home_visit",
        "--format=json",
        f"--output={out}",
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["as_of"] == "2026-07-15" and data["since"] == "2026-01-01"
    assert data["items"] == [
        {
            "rule": "pairing.home_visit",
            "article": 39,
            "period": "2026-Q2",
            "period_start": "2026-04-01",
            "period_end": "2026-06-30",
            "due": "2026-06-30",
            "days_overdue": 15,
            "household": "东村-001",
            "village": "东村",
            "cadre": "pairing",
            "department": None,
            "subject": data["items"][0]["subject"],
            "entered_at": None,
            "late_entry": False,
        }
    ]
    assert "2026-Q2" in data["items"][0]["subject"]


def test_the_command_acts_as_a_user_and_writes_xlsx(
    east_household, west_household, pairing, west_cadre, tmp_path
):
    Pairing.objects.create(household=west_household, cadre=pairing.cadre, start=D(2026, 1, 1))
    out = tmp_path / "overdue.xlsx"
    call_command(
        "overdue",
        "--as-of=2026-04-15",
        "--since=2026-01-01",
        "--format=xlsx",
        f"--output={out}",
        "--user=west_cadre",
    )
    rows = list(openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "逾期事项"
    header = rows[2]
    assert header[:3] == ("规则", "条款", "期间") and "户编号" in header
    households = {row[header.index("户编号")] for row in rows[3:] if row[0].startswith("pairing.")}
    assert households == {"西村-001"}  # the west cadre never sees 东村


def test_the_command_refuses_a_bad_date(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="2026-13-01"):
        call_command("overdue", "--as-of=2026-13-01", "--since=2026-01-01")


def test_problem_rows_need_a_due_after_found(east_household, housing):
    problem = Problem(
        household=east_household,
        category=housing,
        department=housing.department,
        description="x",
        found_on=D(2026, 3, 2),
        due=D(2026, 3, 1),
    )
    with pytest.raises(ValidationError):
        problem.full_clean()


@pytest.mark.usefixtures("today")
def test_an_emergency_case_stays_with_its_cadre_after_a_handover(
    east_household, pairing, west_pairing
):
    """Attribution survives a handover: the case's cadre keeps it, the successor does not."""
    emergency_report(
        household=east_household,
        cause=EmergencyCase.Cause.ILLNESS,
        expense=decimal.Decimal("30000"),
        occurred_on=D(2026, 6, 1),
        reported_on=D(2026, 6, 1),
    )
    pairing_start(household=east_household, cadre=west_pairing.cadre, start=D(2026, 7, 1))

    def late(user):
        items = EmergencyAidRule().overdue(
            user=user, as_of=D(2026, 7, 15), since=D(2026, 1, 1), filters=Filters()
        )
        return [(i.household, i.cadre) for i in items]

    assert late(pairing) == [("东村-001", "pairing")]
    assert late(west_pairing) == []
