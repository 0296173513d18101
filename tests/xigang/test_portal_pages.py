"""What every page shares: the favicon, the language selector, capitalised English labels."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese_afterwards():
    """A request in English leaves English active in the thread: later tests expect Chinese."""
    yield
    translation.deactivate()


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.ico"
    assert finders.find("favicon.ico") and finders.find("favicon.svg")
    assert 'rel="icon"' in client.get("/accounts/login/").content.decode()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_language_selector_names_each_language_in_itself(client, language):
    client.cookies["django_language"] = language
    page = client.get("/accounts/login/").content.decode()
    options = re.findall(
        r'<option value="([^"]+)" lang="[^"]+"(?: selected)?>([^<]+)</option>', page
    )
    assert options == [("zh-hans", "简体中文"), ("en", "English")]
    assert "英语" not in page


def test_english_labels_start_with_a_capital(client, pairing, east_household):
    client.cookies["django_language"] = "en"
    client.force_login(pairing)
    page = client.get(reverse("visits:visit_new", args=[east_household.pk])).content.decode()
    assert "<legend>Kind</legend>" in page and ">Date</label>" in page
    assert "<span>Home visit</span>" in page
