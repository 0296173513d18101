"""The desks at 1366x768 in Chinese: a village cadre finds a household, reads its record and
records a member change through the scoped picker; a department reads its duties first and its
cadres summarised; an inspector filters by a cadre's name, pages a full ranking and opens a
person's record; a leader approves a plan with one button. Every page passes the checks."""

import datetime

import pytest
from django.utils import timezone

from households.models import HelpPlan, MemberChange, Pairing, PlanStep
from tests.browser.checks import check_page, save_screen
from tests.browser.conftest import BROWSER, sign_in
from visits.models import ProblemCategory
from visits.services import problem_report

pytestmark = BROWSER


@pytest.fixture
def scene(east, west, pairing, west_pairing, east_household, west_household, civil_affairs):
    """Both households paired for a year with no visit; 东村-001 has a problem routed to 民政科
    and a help plan waiting for approval."""
    today = timezone.localdate()  # the real clock: Chromium drops cookies of a frozen server
    start = datetime.date(today.year - 1, 1, 1)
    Pairing.objects.filter(household=east_household).update(start=start)
    Pairing.objects.create(household=west_household, cadre=west_pairing.cadre, start=start)
    pairing.cadre.name = "王帮扶"
    pairing.cadre.save()
    category = ProblemCategory.objects.filter(department=civil_affairs).first()
    problem_report(
        household=east_household,
        category=category,
        description="住房漏雨",
        found_on=today - datetime.timedelta(days=60),
    )
    plan = HelpPlan.objects.create(household=east_household, year=today.year, summary="产业扶贫")
    PlanStep.objects.create(plan=plan, step="village", done_on=today)  # 村级审核, then the town
    return today


def test_a_village_cadre_finds_a_household_and_records_a_newborn(
    desktop_page, live_server, east_cadre, scene
):
    page = desktop_page
    sign_in(page, live_server, east_cadre, next_url="/households/")
    check_page(page)
    assert "西村-001" not in page.inner_text("main")
    page.fill("#f-q", "张三")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**q=*")
    save_screen(page, "village-cadre-households-desk")
    page.click("text=东村-001")
    page.wait_for_url("**/dashboard/households/**")
    check_page(page)
    for heading in (
        "家庭成员",
        "人口变动",
        "结对帮扶",
        "走访和电话联系",
        "帮扶计划",
        "两不愁三保障",
    ):
        assert page.locator(f"h2:has-text('{heading}')").count() == 1, heading
    save_screen(page, "village-cadre-household-desk")
    page.click("text=登记人口变动")
    page.wait_for_url("**/households/changes/new/**")
    assert page.input_value("#id_household") == "东村-001"  # carried from the household page
    assert page.input_value("#id_reported_on") == scene.isoformat()
    check_page(page, dates=["#id_reported_on"])
    # The picker suggests households in scope only, by the head's name.
    page.fill("#id_household", "")
    page.type("#id_household", "李四")
    page.wait_for_timeout(600)
    assert page.locator("#household-suggestions option").count() == 0
    page.fill("#id_household", "")
    page.type("#id_household", "张")
    page.locator("#household-suggestions option").first.wait_for(state="attached")
    assert page.locator("#household-suggestions option").first.get_attribute("value") == "东村-001"
    page.fill("#id_household", "东村-001")
    page.select_option("#id_kind", "新生")
    page.fill("#id_name", "张小宝")
    page.fill("#id_happened_on", scene.isoformat())
    save_screen(page, "village-cadre-member-change-desk")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/dashboard/households/**")
    check_page(page)
    assert "张小宝" in page.inner_text("#changes")
    assert MemberChange.objects.get(name="张小宝").reported_by == east_cadre


def test_the_department_desk_shows_duties_first_and_cadres_summarised(
    desktop_page, live_server, dept, scene
):
    page = desktop_page
    sign_in(page, live_server, dept)
    check_page(page)
    save_screen(page, "department-home-desk")
    sections = page.locator("main section h2").all_inner_texts()
    assert sections[0].startswith("本单位责任事项") and "转办本部门的问题" in sections[1]
    assert "住房漏雨" in page.inner_text("#routed")
    cadre_rows = page.locator("#cadres tbody tr")
    assert cadre_rows.count() == 1 and "王帮扶" in cadre_rows.first.inner_text()
    assert page.locator("article.household").count() == 0
    cadre_rows.first.locator("a").first.click()
    page.wait_for_url("**cadre=pairing**")
    check_page(page)


def test_an_inspector_filters_by_name_pages_the_ranking_and_opens_a_record(
    desktop_page, live_server, inspector, scene
):
    page = desktop_page
    sign_in(page, live_server, inspector, next_url="/dashboard/items/")
    check_page(page)
    page.type("#f-cadre", "王帮")
    page.locator("#f-cadres option").first.wait_for(state="attached")
    assert page.locator("#f-cadres option").first.get_attribute("value") == "王帮扶"
    page.fill("#f-cadre", "王帮扶")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**cadre=**")
    households = set(page.locator("td[data-label='户编号']").all_inner_texts())
    assert households == {"东村-001"}
    save_screen(page, "inspector-items-by-name-desk")
    page.goto(f"{live_server.url}/dashboard/rankings/cadre/")
    check_page(page)
    labels = page.locator("table.ranking tbody td:nth-child(2)").all_inner_texts()
    assert "王帮扶" in labels and all(not label.startswith("、") for label in labels)
    save_screen(page, "inspector-ranking-desk")
    page.click("table.ranking >> text=王帮扶")
    page.wait_for_url("**/dashboard/people/pairing/**")
    check_page(page)
    assert "王帮扶的履职档案" in page.inner_text("h1")
    save_screen(page, "inspector-person-desk")


def test_a_leader_approves_a_plan_with_one_button(desktop_page, live_server, leader, office, scene):
    # The routed problem, overdue for a month, resolved today: the monthly table closes it.
    from visits.models import Problem
    from visits.services import problem_resolve

    problem_resolve(
        problem=Problem.objects.get(), resolution="已修缮屋顶", resolved_on=scene, user=office
    )
    page = desktop_page
    sign_in(page, live_server, leader)
    check_page(page)
    save_screen(page, "leader-home-desk")
    page.locator("table.flow").scroll_into_view_if_needed()
    rows = page.locator("table.flow tbody tr")
    assert rows.count() == 12
    this_month = rows.last.locator("td").all_inner_texts()
    assert this_month[2] == "1"  # closed after falling overdue: the problem
    save_screen(page, "leader-home-flow-desk")
    page.click("header nav >> text=审批")
    page.wait_for_url("**/dashboard/approvals/")
    check_page(page)
    save_screen(page, "leader-approvals-desk")
    page.click("#plans button:has-text('批准')")
    page.wait_for_url("**/dashboard/approvals/")
    assert "已批准东村-001户" in page.inner_text(".messages")
    plan = HelpPlan.objects.get()
    assert plan.approved_on == scene and plan.approved_by == leader
    assert not HelpPlan.objects.filter(approved_on__isnull=True).exists()


def test_the_household_admin_page_fits_a_desk_screen(desktop_page, live_server, office, scene):
    """The members inline at 1366 px: no sideways scrolling, 在册 and 离户日期 in view."""
    from households.models import Household, Member
    from tests.households.conftest import idn

    household = Household.objects.get(number="东村-001")
    Member.objects.create(household=household, id_number=idn(1), name="张三", relation="户主")
    page = desktop_page
    sign_in(
        page, live_server, office, next_url=f"/admin/households/household/{household.pk}/change/"
    )
    page.wait_for_load_state("load")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1366, width
    for header in ("在册", "离户日期"):
        box = page.locator(f".inline-group th:has-text('{header}')").first.bounding_box()
        assert box and box["x"] + box["width"] <= 1366, (header, box)


def test_the_household_page_fits_a_phone(phone_page, live_server, east_cadre, pairing, scene):
    """The household page at 390x844: its record links and buttons are 40x40 px tap targets."""
    from households.models import Household, Member
    from households.services import member_change_record
    from tests.households.conftest import idn
    from visits.models import Visit
    from visits.services import visit_record

    household = Household.objects.get(number="东村-001")
    Member.objects.create(household=household, id_number=idn(1), name="张三", relation="户主")
    member_change_record(
        household=household,
        kind="新生",
        name="张小宝",
        happened_on=scene - datetime.timedelta(days=3),
        reported_on=scene,
        reported_by=east_cadre,
    )
    visit_record(
        household=household,
        cadre=pairing.cadre,
        kind=Visit.Kind.PHONE,
        on=scene,
        content="电话了解近况，家中一切正常",
    )
    page = phone_page
    sign_in(page, live_server, east_cadre, next_url="/dashboard/households/东村-001/")
    check_page(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width
    save_screen(page, "village-cadre-household-phone")
