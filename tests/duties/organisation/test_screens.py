"""The sign-in page and the start page."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_is_in_chinese(client):
    page = client.get("/accounts/login/").content.decode()
    assert "登录" in page and "用户名" in page and "密码" in page
    assert 'name="username"' in page and 'name="password"' in page


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_signing_in_with_the_form_leads_to_the_start_page(client, east_cadre):
    east_cadre.set_password("Xigang-2026!test")
    east_cadre.save()
    response = client.post(
        "/accounts/login/", {"username": "east_cadre", "password": "Xigang-2026!test"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_start_page_shows_the_roles_of_the_signed_in_user(client, east_cadre):
    from duties.organisation.services import cadre_save

    cadre_save(
        username="east_cadre",
        name="赵书记",
        unit=east_cadre.cadre.village,
        roles=["村干部", "帮扶责任人"],
    )
    client.force_login(east_cadre)
    page = client.get("/").content.decode()
    assert "欢迎，赵书记" in page
    assert "您的角色：" in page and "村干部" in page and "帮扶责任人" in page
    assert "镇领导" not in page
