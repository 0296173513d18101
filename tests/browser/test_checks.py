"""The checks every browser test relies on catch what they are for: a date shown blank, a small
tap target, a request to another host, a serious accessibility fault."""

import pytest

from tests.browser.checks import (
    assert_accessible,
    assert_dates_shown,
    assert_tap_targets,
    check_page,
)
from tests.browser.conftest import BROWSER

pytestmark = BROWSER

GOOD = """<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>好</title>
<style>a, button, input[type=date], label { display:block; min-width:44px; min-height:44px; }</style></head>
<body><main><h1>好</h1><form><label for="d">日期</label>
<input id="d" type="date" value="2026-11-30">
<label><input type="radio" name="k" value="1"> 入户走访</label>
<button type="submit">保存</button></form></main></body></html>"""


def _show(page, live_server, html):
    """The page as if the live server sent it (with no CSP header, so its <style> applies)."""
    url = f"{live_server.url}/check-page/"
    page.route(url, lambda route: route.fulfill(body=html, content_type="text/html"))
    page.goto(url)


def test_a_good_page_passes_every_check(phone_page, live_server):
    _show(phone_page, live_server, GOOD)
    check_page(phone_page, dates=["#d"])


def test_a_date_in_the_locales_format_is_caught(phone_page, live_server):
    _show(phone_page, live_server, GOOD.replace('value="2026-11-30"', 'value="2026/11/30"'))
    with pytest.raises(AssertionError, match="2026/11/30"):
        assert_dates_shown(phone_page)


def test_a_small_radio_without_a_label_is_caught(phone_page, live_server):
    _show(
        phone_page, live_server, GOOD.replace("</form>", '<input type="checkbox" name="x"></form>')
    )
    with pytest.raises(AssertionError, match=r"input\[name=x\]"):
        assert_tap_targets(phone_page)


def test_an_image_without_a_text_is_a_serious_fault(desktop_page, live_server):
    _show(desktop_page, live_server, GOOD.replace("</main>", '<img src="data:,">\n</main>'))
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(desktop_page)


def test_a_request_to_another_host_is_stopped_and_fails_the_page(desktop_page, live_server):
    _show(
        desktop_page,
        live_server,
        GOOD.replace("</main>", '<img alt="x" src="http://example.org/x.png">'),
    )
    with pytest.raises(AssertionError, match="example.org"):
        check_page(desktop_page, axe=False)
    desktop_page.context.outside_requests.clear()  # caught on purpose: the teardown check passes
