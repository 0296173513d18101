"""Accounts: password rules, 90-day change, sign-in throttling (more in test_round_two_*),
session limits, the
second factor with a real TOTP code, and sessions that end with sign-out, disabling or a new
password."""

import datetime
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from xigang.models import PasswordRecord
from xigang.security.middleware import LOGIN_AT

GOOD = "Xigang-2026!"


@pytest.fixture
def alice(db):
    user = get_user_model().objects.create_user("alice")
    user.set_password(GOOD)  # as the account pages do: the password history records it
    user.save()
    return user


def _messages(exc):
    return " ".join(exc.value.messages)


@pytest.mark.parametrize(
    "password",
    ["Ab1!xyz", "abcdefgh1", "ABCDEFGH!", "abcdefgh!"],
    ids=["7 chars", "2 classes lower+digit", "2 classes upper+other", "2 classes lower+other"],
)
def test_it_refuses_short_or_simple_passwords(alice, password):
    with pytest.raises(ValidationError):
        validate_password(password, alice)


def test_it_accepts_three_classes_of_eight_characters(alice):
    validate_password("abcdef1!", alice)  # lower, digit, other
    validate_password("Qwerty71", alice)  # lower, upper, digit


def test_it_refuses_the_user_name(db):
    user = get_user_model()(username="Wang.Li-2026")
    with pytest.raises(ValidationError) as exc:
        validate_password("wang.li-2026", user)
    assert "user name" in _messages(exc) or "用户名" in _messages(exc)


def test_it_refuses_the_last_five_passwords_but_not_the_sixth(alice):
    passwords = [GOOD] + [f"Xigang-{n}-Pw" for n in range(1, 6)]
    for new in passwords[1:]:
        validate_password(new, alice)
        alice.set_password(new)
        alice.save()
    assert PasswordRecord.objects.filter(user=alice).count() == 5  # the last 5 only
    for recent in passwords[1:]:
        with pytest.raises(ValidationError) as exc:
            validate_password(recent, alice)
        assert "5" in _messages(exc)
    validate_password(GOOD, alice)  # the sixth back has left the history


def test_a_password_older_than_90_days_must_be_changed_first(client, alice):
    PasswordRecord.objects.filter(user=alice).update(
        set_at=timezone.now() - datetime.timedelta(days=90, minutes=1)
    )
    client.force_login(alice)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/password_change/"
    assert "90" in response.content.decode()
    changed = client.post(
        "/accounts/password_change/",
        {"old_password": GOOD, "new_password1": "Fresh-2026-pw", "new_password2": "Fresh-2026-pw"},
        follow=True,
    )
    assert changed.redirect_chain[-1][0] == "/accounts/password_change/done/"
    assert client.get("/").status_code == 200  # the new password is young


def test_89_days_is_still_fine(client, alice):
    PasswordRecord.objects.filter(user=alice).update(
        set_at=timezone.now() - datetime.timedelta(days=89, hours=23)
    )
    client.force_login(alice)
    assert client.get("/").status_code == 200


def _sign_in(client, password, username="alice", **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def test_the_lock_lifts_after_30_minutes(client, alice):
    from axes.models import AccessAttempt

    for _n in range(5):
        _sign_in(client, "wrong")
    assert _sign_in(client, GOOD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=31))
    assert _sign_in(client, GOOD).status_code == 302


def test_the_client_address_behind_nginx_is_the_one_nginx_saw(client, alice, settings):
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # nginx, named (before: any peer was believed)
    _sign_in(client, "wrong", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert AccessAttempt.objects.get(username="alice").ip_address == "203.0.113.7"


def test_an_idle_session_expires_after_30_minutes(client, alice):
    from django.contrib.sessions.models import Session

    client.force_login(alice)
    client.get("/")
    assert 29 * 60 < client.session.get_expiry_age() <= 30 * 60
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_activity_moves_the_idle_clock_once_a_minute(client, alice):
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xigang.security.middleware import SEEN_AT

    client.force_login(alice)
    client.get("/")
    # 25 quiet minutes later: 5 minutes left, and the last save a minute ago or more.
    Session.objects.update(expire_date=timezone.now() + datetime.timedelta(minutes=5))
    session = client.session
    session[SEEN_AT] = time.time() - 25 * 60
    session.save()
    Session.objects.update(expire_date=timezone.now() + datetime.timedelta(minutes=5))
    assert client.get("/").status_code == 200
    left = Session.objects.get().expire_date - timezone.now()
    assert datetime.timedelta(minutes=29) < left <= datetime.timedelta(minutes=30)
    # The next pages within the minute write nothing.
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
        assert client.get("/").status_code == 200
    assert not [q for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]


def test_a_session_ends_8_hours_after_sign_in_however_active(client, alice):
    client.force_login(alice)
    session = client.session
    session[LOGIN_AT] = time.time() - 8 * 3600 + 60
    session.save()
    assert client.get("/").status_code == 200  # 7 h 59 min
    session = client.session
    session[LOGIN_AT] = time.time() - 8 * 3600 - 1
    session.save()
    response = client.get("/", follow=True)
    assert response.redirect_chain[0][0].startswith("/accounts/login/")
    assert "8" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_out_ends_the_session(client, alice):
    client.force_login(alice)
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_disabling_a_user_ends_their_sessions(client, alice):
    client.force_login(alice)
    assert client.get("/").status_code == 200
    alice.is_active = False
    alice.save()
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_changing_the_password_ends_the_other_sessions(client, alice):
    from django.test import Client

    other = Client()
    other.force_login(alice)
    client.force_login(alice)
    client.post(
        "/accounts/password_change/",
        {"old_password": GOOD, "new_password1": "Fresh-2026-pw", "new_password2": "Fresh-2026-pw"},
    )
    assert client.get("/").status_code == 200  # the session that changed it goes on
    assert other.get("/").status_code == 302  # the other one has ended


def test_a_weak_new_password_is_refused_in_chinese(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": GOOD, "new_password1": "abcdefgh", "new_password2": "abcdefgh"},
    )
    assert response.status_code == 200
    assert "字符" in response.content.decode()


@pytest.mark.second_factor
def test_the_office_needs_a_one_time_code_before_any_page(client, office):
    client.force_login(office)
    response = client.get("/dashboard/items/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/verify/")
    setup = client.get("/accounts/otp/setup/?next=/dashboard/items/items/")
    page = setup.content.decode()
    assert "<svg" in page  # the QR code is drawn here, not fetched
    device = TOTPDevice.objects.get(user=office, confirmed=False)
    assert device.config_url.split("secret=")[1].split("&")[0] in page
    wrong = client.post("/accounts/otp/setup/", {"token": "000000", "next": "/dashboard/items/"})
    assert "错误" in wrong.content.decode() or "wrong" in wrong.content.decode()
    TOTPDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
    token = f"{TOTP(device.bin_key).token():06d}"
    done = client.post("/accounts/otp/setup/", {"token": token, "next": "/dashboard/items/"})
    assert done["Location"] == "/dashboard/items/"
    assert client.get("/dashboard/items/").status_code == 200


@pytest.mark.second_factor
def test_a_confirmed_device_is_asked_for_at_each_sign_in(client, office):
    device = TOTPDevice.objects.create(user=office, name="default", confirmed=True)
    client.force_login(office)
    assert client.get("/")["Location"].startswith("/accounts/otp/verify/")
    token = f"{TOTP(device.bin_key).token():06d}"
    client.post("/accounts/otp/verify/", {"token": token, "next": "/"})
    assert client.get("/").status_code == 200


@pytest.mark.second_factor
def test_a_pairing_cadre_needs_no_second_factor(client, pairing):
    client.force_login(pairing)
    assert client.get("/").status_code == 200
