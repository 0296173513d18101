"""The dashboard in a real browser: the inspector's drill-down and export, a pairing cadre on a
phone recording a visit, a village cadre kept out of another village; a screenshot per role."""

import datetime
import re

import openpyxl
import pytest
from django.utils import timezone

from households.models import Pairing
from tests.browser.checks import check_page
from tests.browser.conftest import BROWSER, screenshot, sign_in
from visits.models import Visit
from visits.services import visit_record
from xigang.periods import MONTHLY, QUARTERLY, period_of

pytestmark = BROWSER


# On the real clock: Chromium keeps real time and drops cookies a frozen server dated too early.
def _paired_since():
    return datetime.date(timezone.localdate().year - 2, 1, 1)


@pytest.fixture
def scene(cast, east_household, west_household, west_pairing):
    """东村-001 paired with `pairing` and 西村-001 with `west_pairing`, for two years."""
    Pairing.objects.filter(household=east_household).update(start=_paired_since())
    Pairing.objects.create(
        household=west_household, cadre=west_pairing.cadre, start=_paired_since()
    )
    return {**cast, "west_pairing": west_pairing}


def _previous_quarter(today):
    return period_of(QUARTERLY, period_of(QUARTERLY, today).start - datetime.timedelta(days=1))


def _all_visits_but_last_quarters_home_visit(household, cadre):
    """Every month met (a home visit, or a phone call inside the last quarter) and every quarter
    met but the last one: its home visit is the only overdue item of the household."""
    today = timezone.localdate()
    last_quarter = _previous_quarter(today)
    month = period_of(MONTHLY, _paired_since())
    current = period_of(MONTHLY, today)
    while month.start < current.start:
        kind = Visit.Kind.PHONE if month.start in last_quarter else Visit.Kind.HOME
        visit_record(
            household=household,
            cadre=cadre,
            kind=kind,
            on=month.start + datetime.timedelta(days=9),
            content="入户了解收入和就医情况",
        )
        month = period_of(MONTHLY, month.end + datetime.timedelta(days=1))
    return last_quarter


def test_an_inspector_filters_drills_down_and_exports(new_page, live_server, scene, tmp_path):
    page = new_page()
    sign_in(page, live_server, scene["inspector"])
    assert page.locator("svg.chart.trend").count() == 1
    screenshot(page, "dashboard-纪检督查")

    page.click("text=全部逾期事项（可筛选、导出 Excel）")
    page.select_option("#f-village", "西村")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"village=%E8%A5%BF%E6%9D%91"))
    households = page.locator("td[data-label='户编号']").all_inner_texts()
    assert households and set(households) - {""} == {"西村-001"}
    assert "东村-001" not in page.content()

    page.locator("a.cadre").first.click()
    page.wait_for_url(re.compile(r"cadre=west_pairing"))
    cadres = page.locator("td[data-label='干部']").all_inner_texts()
    assert cadres and set(cadres) == {"west_pairing"}
    shown = int(re.search(r"\d+", page.inner_text("#item-count")).group())
    assert shown == len(cadres)
    screenshot(page, "list-纪检督查-西村-west_pairing")

    with page.expect_download() as download:
        page.click("text=导出 Excel")
    target = tmp_path / "export.xlsx"
    download.value.save_as(target)
    rows = list(openpyxl.load_workbook(target).active.values)
    header, data = rows[2], rows[3:]
    assert len(data) == shown
    assert {row[header.index("户编号")] for row in data} == {"西村-001"}
    assert {row[header.index("帮扶责任人")] for row in data} == {"west_pairing"}


def test_a_pairing_cadre_on_a_phone_records_a_visit_and_the_item_goes(
    phone_page, live_server, scene, east_household
):
    last_quarter = _all_visits_but_last_quarters_home_visit(east_household, scene["pairing"].cadre)
    page = phone_page
    sign_in(page, live_server, scene["pairing"])
    check_page(page)
    card = page.locator("article.household", has_text="东村-001")
    assert card.locator(".overdue-item").count() == 1
    assert last_quarter.label in card.locator(".overdue-item").inner_text()
    assert "西村-001" not in page.content()
    screenshot(page, "dashboard-帮扶责任人-手机")

    card.locator("a.record-visit").click()
    check_page(page, dates=["#id_on"])  # what the form shows, before it is filled
    page.check("input[name=kind][value='%s']" % Visit.Kind.HOME)
    page.fill("#id_on", (last_quarter.end - datetime.timedelta(days=3)).isoformat())
    page.fill("#id_content", "入户了解务工和就医情况")
    with page.expect_navigation():
        page.click("form.quick-form button[type=submit]")
    assert Visit.objects.filter(
        household=east_household, on=last_quarter.end - datetime.timedelta(days=3)
    ).exists()

    page.goto(f"{live_server.url}/")
    card = page.locator("article.household", has_text="东村-001")
    assert card.locator(".overdue-item").count() == 0
    assert last_quarter.label not in page.inner_text("main")
    screenshot(page, "dashboard-帮扶责任人-手机-已登记")


def test_a_village_cadre_cannot_reach_another_villages_household(
    new_page, live_server, scene, east_household
):
    page = new_page()
    sign_in(page, live_server, scene["west_cadre"])
    assert "西村-001" in page.inner_text("main") and "东村-001" not in page.inner_text("main")
    screenshot(page, "dashboard-村干部")
    response = page.goto(f"{live_server.url}/dashboard/households/东村-001/")
    assert response.status == 404
    assert "张三" not in page.content()
    response = page.goto(f"{live_server.url}/visits/{east_household.pk}/new/")
    assert response.status == 404
    response = page.goto(f"{live_server.url}/dashboard/households/西村-001/")
    assert response.status == 200 and "李四" in page.content()


@pytest.mark.parametrize(
    "who, name", [("leader", "镇领导"), ("office", "扶贫办"), ("dept", "部门")]
)
def test_a_screenshot_of_each_roles_dashboard(new_page, live_server, scene, who, name):
    page = new_page()
    sign_in(page, live_server, scene[who])
    assert page.locator("#total").count() == 1
    screenshot(page, f"dashboard-{name}")
