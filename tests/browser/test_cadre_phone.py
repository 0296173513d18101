"""A pairing cadre on a 390x844 phone, in Chinese: home lists the households worst first, each
saying why; one tap opens the entry with today's date and the kind owed; saved in at most four
taps, the line updated at once; a duplicate refused in Chinese; every page passes the checks."""

import datetime

import pytest
from django.utils import timezone

from households.models import Assessment, Household, Pairing
from tests.browser.checks import check_page, save_screen
from tests.browser.conftest import BROWSER, sign_in
from visits.models import Visit
from xigang.periods import MONTHLY, period_of

pytestmark = BROWSER
MAX_TAPS = 4


@pytest.fixture
def households(east, pairing, east_household):
    """东村-001 paired for two years with no visit (long overdue); 东村-002 paired from the first
    day of this month (nothing past owed, this month's contact pending)."""
    today = timezone.localdate()  # the real clock: Chromium drops cookies of a frozen server
    Pairing.objects.filter(household=east_household).update(
        start=datetime.date(today.year - 2, 1, 1)
    )
    Household.objects.filter(pk=east_household.pk).update(phone="13800000001")
    fresh = Household.objects.create(
        number="东村-002", village=east, head_name="王五", phone="13800000002"
    )
    Pairing.objects.create(
        household=fresh, cadre=pairing.cadre, start=period_of(MONTHLY, today).start
    )
    # Assessed this year (两不愁三保障): only the visits and calls are owed here.
    Assessment.objects.bulk_create(
        Assessment(household=h, item=item, met=True, assessed_on=today)
        for h in (east_household, fresh)
        for item in Assessment.Item.values
    )
    return east_household, fresh


class Taps:
    """Counts what the cadre taps, from the home screen on."""

    def __init__(self):
        self.count = 0

    def __call__(self, locator):
        self.count += 1
        locator.tap()


def test_a_pairing_cadre_records_a_contact_in_four_taps_on_a_phone(
    phone_page, live_server, pairing, households
):
    page = phone_page
    old, fresh = households
    today = timezone.localdate().isoformat()
    sign_in(page, live_server, pairing)
    check_page(page)
    save_screen(page, "pairing-cadre-home-phone")
    header = page.locator("header.top").bounding_box()
    assert header["height"] <= 0.08 * 844, header  # the screen is for the households
    page.tap("header.top summary")  # the menu, open: its links are tap targets too
    assert page.locator("header.top nav a", has_text="我的帮扶户").is_visible()
    check_page(page, axe=False)
    save_screen(page, "pairing-cadre-menu-phone")
    page.tap("header.top summary")

    lines = page.locator("article.household")
    assert lines.nth(0).locator(".number").inner_text() == "东村-001"
    assert lines.nth(1).locator(".number").inner_text() == "东村-002"
    assert "当期没有电话联系或入户走访记录" in lines.nth(0).inner_text()
    assert lines.nth(0).locator(".overdue-item").count() > 1
    line = page.locator(f"#hh-{fresh.pk}")
    assert "本期尚无电话联系或入户走访记录" in line.inner_text()
    assert line.locator("a.call").get_attribute("href") == "tel:13800000002"

    tap = Taps()
    link = line.locator("a.record-visit")
    owed = Visit.Kind.HOME if "入户走访" in link.inner_text() else Visit.Kind.PHONE
    with page.expect_navigation():
        tap(link)
    check_page(page, dates=["#id_on"])
    assert page.input_value("#id_on") == today
    assert page.is_checked(f"input[name=kind][value='{owed}']")
    save_screen(page, "pairing-cadre-entry-phone")
    tap(page.locator("#id_content"))
    page.keyboard.type("电话了解近况，家中一切正常")
    with page.expect_navigation():
        tap(page.locator("form.quick-form button[type=submit]"))
    assert tap.count <= MAX_TAPS

    line = page.locator(f"#hh-{fresh.pk}")
    assert "saved" in line.get_attribute("class")
    assert line.locator(".pending-item").count() == 0
    assert "本期应做的联系都已完成" in line.inner_text()
    assert f"已登记 {today} 对 东村-002 的" in page.inner_text("ul.messages")
    check_page(page)
    save_screen(page, "pairing-cadre-home-saved-phone")
    assert Visit.objects.filter(
        household=fresh, on=today, content="电话了解近况，家中一切正常"
    ).exists()

    # The same contact again: refused in Chinese, the form shown again with its date.
    page.goto(f"{live_server.url}/visits/{fresh.pk}/new/?kind={owed}")
    page.fill("#id_content", "电话了解近况，家中一切正常")
    with page.expect_navigation():
        page.tap("form.quick-form button[type=submit]")
    assert "这条联系已经登记过" in page.inner_text("form.quick-form")
    check_page(page, dates=["#id_on"])
    assert Visit.objects.filter(household=fresh).count() == 1


def test_the_cadre_home_at_a_desk(desktop_page, live_server, pairing, households):
    sign_in(desktop_page, live_server, pairing)
    check_page(desktop_page)
    assert desktop_page.locator("header.top nav a").first.is_visible()  # no menu to open
    save_screen(desktop_page, "pairing-cadre-home-desk")
    with desktop_page.expect_navigation():
        desktop_page.click(f"#hh-{households[1].pk} a.record-visit")
    check_page(desktop_page, dates=["#id_on"])


def test_the_sign_in_page_on_a_phone(phone_page, live_server):
    phone_page.goto(f"{live_server.url}/accounts/login/")
    check_page(phone_page)
    options = phone_page.locator("select[name=language] option")
    assert options.evaluate_all("all => all.map(option => option.textContent)") == [
        "简体中文",
        "English",
    ]
    save_screen(phone_page, "sign-in-phone")
