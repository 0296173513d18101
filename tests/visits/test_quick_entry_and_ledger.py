"""The quick entry screen of pairing cadres, and the `visits` ledger."""

import datetime

import pytest
from django.urls import reverse

from households.models import Household
from tests.conftest import SHANGHAI, workbook
from visits.models import Problem, Visit
from xigang.ledgers import export_ledger, get_kind, import_ledger

D = datetime.date


@pytest.fixture
def other_household(east):
    # In the pairing cadre's village, but paired with nobody: not on their list.
    return Household.objects.create(number="东村-002", village=east, head_name="王五")


@pytest.mark.usefixtures("today")
def test_the_list_shows_my_households_with_their_last_contacts(
    client, pairing, east_household, other_household
):
    Visit.objects.create(
        household=east_household, cadre=pairing.cadre, kind=Visit.Kind.HOME, on=D(2026, 3, 2)
    )
    Visit.objects.create(
        household=east_household, cadre=pairing.cadre, kind=Visit.Kind.PHONE, on=D(2026, 5, 6)
    )
    client.force_login(pairing)
    # The query count is pinned in test_cadre_home.py.
    page = client.get(reverse("visits:my_households")).content.decode()
    assert "东村-001" in page and "2026-03-02" in page and "2026-05-06" in page
    assert "东村-002" not in page


def test_a_visit_in_a_few_taps_with_a_routed_problem(client, pairing, east_household, time_machine):
    # Late on a quarter's last day: a visit dated that day is not in the future.
    time_machine.move_to(datetime.datetime(2026, 6, 30, 23, 30, tzinfo=SHANGHAI))
    client.force_login(pairing)
    url = reverse("visits:visit_new", args=[east_household.pk])
    form = client.get(url).content.decode()
    assert 'type="date"' in form and "危房改造" in form
    response = client.post(
        url,
        {
            "kind": "入户",
            "on": "2026-06-30",
            "content": "宣传扶贫政策，了解收入情况",
            "problems_found": "房屋漏雨",
            "category": Problem._meta.get_field("category")
            .related_model.objects.get(name="裂缝漏雨房屋维修")
            .pk,
        },
        follow=True,
    )
    assert "东村-001" in response.content.decode()
    visit = Visit.objects.get()
    assert (visit.kind, visit.on, visit.cadre, visit.content) == (
        "入户",
        D(2026, 6, 30),
        pairing.cadre,
        "宣传扶贫政策，了解收入情况",
    )
    problem = Problem.objects.get()
    assert (problem.department.name, problem.due, problem.visit) == (
        "村建办",
        D(2026, 7, 30),
        visit,
    )


@pytest.mark.usefixtures("today")
def test_an_error_is_said_in_chinese_and_what_was_typed_is_kept(client, pairing, east_household):
    client.force_login(pairing)
    url = reverse("visits:visit_new", args=[east_household.pk])
    page = client.post(
        url, {"kind": "入户", "on": "2025-12-31", "content": "了解家庭收入和支出情况"}
    ).content.decode()
    assert "未与" in page or "没有" in page or "结对" in page
    assert "了解家庭收入和支出情况" in page
    assert not Visit.objects.exists()


def test_another_household_answers_404(client, pairing, east_household, west_household):
    client.force_login(pairing)
    response = client.get(reverse("visits:visit_new", args=[west_household.pk]))
    assert response.status_code == 404
    assert not Visit.objects.exists()


def test_a_village_cadre_without_pairings_sees_an_empty_list(client, east_cadre, east_household):
    client.force_login(east_cadre)
    page = client.get(reverse("visits:my_households")).content.decode()
    assert "东村-001" not in page


HEADERS = ["户编号", "帮扶责任人", "方式", "日期", "内容", "发现问题"]
TITLE = "西岗镇帮扶记录台账"


@pytest.mark.usefixtures("today")
def test_the_ledger_imports_all_or_nothing(tmp_path, office, pairing, east_household):
    path = workbook(
        tmp_path / "visits.xlsx",
        HEADERS,
        [
            ["东村-001", "pairing", "入户", "2026/3/2", "宣传扶贫政策，了解收入情况", ""],
            [
                "东村-001",
                "pairing",
                "电话",
                "2026年12月1日",
                "电话询问近况和家庭收入",
                "",
            ],  # tomorrow
        ],
        title=TITLE,
    )
    report = import_ledger(get_kind("visits")(office), path)
    assert not report.ok and not Visit.objects.exists()
    assert any(e.row == 4 and e.header == "日期" for e in report.errors)


@pytest.mark.usefixtures("today")
def test_the_ledger_round_trip_changes_nothing(tmp_path, office, pairing, east_household):
    path = workbook(
        tmp_path / "visits.xlsx",
        HEADERS,
        [
            ["东村-001", "pairing", "入户", "2026-03-02", "-宣传扶贫政策，了解收入情况", "漏雨"],
            ["东村-001", "pairing", "电话", D(2026, 4, 1), "电话询问近况和家庭收入", None],
        ],
        title=TITLE,
    )
    report = import_ledger(get_kind("visits")(office), path)
    assert (report.ok, report.created) == (True, 2)
    out = tmp_path / "export.xlsx"
    export_ledger(get_kind("visits")(office), out)
    again = import_ledger(get_kind("visits")(office), out)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Visit.objects.get(kind="入户").content == "-宣传扶贫政策，了解收入情况"
