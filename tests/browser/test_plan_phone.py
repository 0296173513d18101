"""A pairing cadre records a step of art. 34's procedure on a 390x844 phone, in Chinese: from
the household page, the form offers the next step and today's date; a step out of order is
refused in Chinese; the step recorded shows on the household page with who entered it."""

from django.utils import timezone

from households.models import PlanStep
from households.plans import plan_start
from tests.browser.checks import check_page, save_screen
from tests.browser.conftest import BROWSER, sign_in

pytestmark = BROWSER


def test_a_pairing_cadre_records_a_plan_step_on_a_phone(
    phone_page, live_server, pairing, east_household
):
    page = phone_page
    today = timezone.localdate()  # the real clock: Chromium drops cookies of a frozen server
    plan_start(household=east_household, year=today.year, summary="产业扶贫")
    sign_in(page, live_server, pairing, next_url=f"/dashboard/households/{east_household.number}/")
    # the household page's item tables predate this test and are not phone-sized yet
    check_page(page, phone=False)
    with page.expect_navigation():
        page.tap("#plans a:has-text('记录步骤')")
    check_page(page, dates=["#id_done_on"])
    save_screen(page, "pairing-cadre-plan-step-phone")
    assert page.input_value("#id_step") == "survey"  # the next step, offered
    assert page.input_value("#id_done_on") == today.isoformat()  # shown, not blank

    page.select_option("#id_step", "village")
    with page.expect_navigation():
        page.tap("main form button[type=submit]")
    assert "请先记录「措施制定」" in page.inner_text("main")  # refused out of order, in Chinese
    assert not PlanStep.objects.exists()

    page.select_option("#id_step", "survey")
    with page.expect_navigation():
        page.tap("main form button[type=submit]")
    assert "步骤已记录" in page.inner_text(".messages")
    shown = page.inner_text("#plans .steps li:first-child")
    assert "入户调查" in shown and today.isoformat() in shown and "pairing" in shown
    check_page(page, phone=False)
    step = PlanStep.objects.get()
    assert (step.step, step.done_on, step.entered_by) == ("survey", today, pairing)
