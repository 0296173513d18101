"""A pairing cadre assesses 两不愁三保障 on a 390x844 phone, in Chinese: one tap from the phone
home opens every item on one form with today's date filled; saved, the cadre is back home and
an item not met is a gap routed to its department; every page passes the checks."""

from django.utils import timezone

from households.assessments.models import AssessmentGap
from households.models import Assessment
from tests.browser.checks import check_page, save_screen
from tests.browser.conftest import BROWSER, sign_in

pytestmark = BROWSER


def test_a_pairing_cadre_assesses_a_household_on_a_phone(
    phone_page, live_server, pairing, east_household
):
    page = phone_page
    today = timezone.localdate().isoformat()  # the real clock: Chromium drops frozen cookies
    sign_in(page, live_server, pairing, next_url="/visits/")
    check_page(page)
    page.tap(f"#hh-{east_household.pk} a.assess")
    page.wait_for_url(f"**/households/{east_household.pk}/assess/?next=home")
    check_page(page, dates=["#id_assessed_on"])
    assert page.input_value("#id_assessed_on") == today
    for item in Assessment.Item.values:
        page.locator(f"input[name={item}][value='{'0' if item == 'housing' else '1'}']").check()
    page.fill("#id_note", "房屋墙体裂缝")
    save_screen(page, "pairing-cadre-assessment-phone")
    page.tap("form.quick-form button[type=submit]")
    page.wait_for_url("**/visits/?saved=*")
    check_page(page)
    assert "村建办" in page.locator("main").inner_text()  # the message names the department
    gap = AssessmentGap.objects.get()
    assert (gap.item, gap.department.name, gap.found_on.isoformat()) == ("housing", "村建办", today)


def test_an_unanswered_item_is_refused_in_chinese(phone_page, live_server, pairing, east_household):
    page = phone_page
    sign_in(page, live_server, pairing, next_url=f"/households/{east_household.pk}/assess/")
    with page.expect_navigation():
        page.tap("form.quick-form button[type=submit]")
    check_page(page)
    assert "必填" in page.locator("main").inner_text()
    assert not Assessment.objects.exists()
