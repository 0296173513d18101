"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Run in their own pytest session (`pytest -m browser`, no xdist): live_server flushes the database
after each test, so each test here restores what the migrations load (regulation, roles, problem
categories, schedules) through `serialized_rollback`."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.checks import DESKTOP, PHONE

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PASSWORD = "Xg-browser-Test-2026"

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told otherwise. The test process only, never the server settings.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Each browser test module marks itself: pytestmark = BROWSER.
BROWSER = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                # The browser's own language: date fields show 2026/11/30 as on a Chinese phone.
                "--lang=zh-CN",
            ],
        )
        yield browser
        browser.close()


def _keep_to(context, live_server):
    """Any request to another host is aborted and recorded in `context.outside_requests`."""
    host = urlsplit(live_server.url).netloc
    context.outside_requests = []

    def route(route):
        if urlsplit(route.request.url).netloc == host:
            route.continue_()
        else:
            context.outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", route)


@pytest.fixture
def new_page(browser, live_server):
    """new_page(viewport=None, **context_options) -> a page in a fresh context (its own cookies), in zh-CN; the test
    fails if the page asked anything of a host other than the live server."""
    contexts = []

    def make(viewport=None, **extra):
        options = {"accept_downloads": True, "locale": "zh-CN", **extra}
        if viewport:
            options["viewport"] = viewport
        context = browser.new_context(**options)
        _keep_to(context, live_server)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield make
    outside = [url for context in contexts for url in context.outside_requests]
    for context in contexts:
        context.close()
    assert not outside, f"requests left the live server: {outside}"


@pytest.fixture
def phone_page(new_page):
    """A page on a 390x844 touch screen, signed out (the layout obeys the meta viewport)."""
    return new_page(viewport=PHONE, is_mobile=True, has_touch=True)


@pytest.fixture
def desktop_page(new_page):
    """A page on a 1366x768 desk screen, signed out."""
    return new_page(viewport=DESKTOP)


def sign_in(page, live_server, user, next_url="/"):
    user.set_password(PASSWORD)
    user.save()
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/login/" not in page.url, page.inner_text("main")


def screenshot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
