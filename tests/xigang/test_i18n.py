"""Users read Chinese by default and can switch to English."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_shows_the_login_page_in_chinese_by_default(client):
    page = client.get("/accounts/login/").content.decode()
    assert "西岗镇脱贫攻坚责任制管理平台" in page
    assert "用户名" in page and "密码" in page


def test_it_switches_to_english_and_back(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert "Xigang poverty-alleviation responsibility portal" in page
    assert "User name" in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert "用户名" in client.get("/accounts/login/").content.decode()


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
