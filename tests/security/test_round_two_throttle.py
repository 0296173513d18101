"""Security, round two (docs/security.md): sign-in throttling that protects without locking
people out (M4), the password reset by e-mail closed and X-Forwarded-For believed only from a
named proxy (L1)."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from tests.security.helpers import holder
from xigang import roles
from xigang.models import AuditEntry
from xigang.security.throttle import lock_until

GOOD = "Xigang-2026!"


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", password=GOOD)


def _sign_in(username, password, address, **extra):
    client = Client()
    data = {"username": username, "password": password}
    return client.post("/accounts/login/", data, REMOTE_ADDR=address, **extra)


def _age(minutes):
    """Every failure so far happened `minutes` earlier."""
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=minutes))


def _pause(username, address) -> datetime.timedelta:
    until = lock_until(username, address)
    assert until is not None, "paused"
    return until - timezone.now()


def test_m4_a_stranger_cannot_lock_someone_out(alice):
    for _n in range(5):
        _sign_in("alice", "wrong", "10.0.0.66")
    assert _sign_in("alice", GOOD, "10.0.0.66").status_code == 429  # that address is paused
    assert _sign_in("alice", GOOD, "10.0.0.5").status_code == 302  # alice at her desk is not


def test_m4_one_address_is_stopped_across_user_names(db):
    users = [get_user_model().objects.create_user(f"u{n}", password=GOOD) for n in range(12)]
    statuses = [
        _sign_in(user.username, "wrong", "10.0.0.77").status_code
        for user in users
        for _try in range(4)
    ]
    assert statuses[:19] == [200] * 19  # the sign-in form again, with its error
    assert set(statuses[20:]) == {429}  # 48 tries over 12 names: stopped after 20
    assert _sign_in("u11", GOOD, "10.0.0.77").status_code == 429
    assert _sign_in("u11", GOOD, "10.0.0.78").status_code == 302  # the user elsewhere is not
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 20


def test_m4_a_user_name_pauses_only_after_failures_from_many_addresses_and_longer_each_time(
    alice,
):
    for n in range(9):
        _sign_in("alice", "wrong", f"10.1.0.{n}")
    assert _sign_in("alice", GOOD, "10.0.0.5").status_code == 302  # 9 addresses: still open
    _sign_in("alice", "wrong", "10.1.0.9")  # the 10th address
    assert _sign_in("alice", GOOD, "10.0.0.5").status_code == 429
    first = _pause("alice", "10.0.0.5")
    assert datetime.timedelta(seconds=50) < first <= datetime.timedelta(minutes=1)
    _age(2)  # the pause is over: one more failure, from an 11th address
    assert _sign_in("alice", GOOD, "10.0.0.5").status_code == 302
    _sign_in("alice", "wrong", "10.1.0.10")
    second = _pause("alice", "10.0.0.5")
    assert datetime.timedelta(minutes=1, seconds=50) < second <= datetime.timedelta(minutes=2)
    page = _sign_in("alice", GOOD, "10.0.0.5")
    assert page.status_code == 429 and "2 分钟" in page.content.decode()
    _age(3)
    assert _sign_in("alice", GOOD, "10.0.0.5").status_code == 302  # no 30-minute lock


def test_m4_the_delay_grows_for_one_address_too_and_is_capped(alice):
    for _n in range(5):
        _sign_in("alice", "wrong", "10.0.0.66")
    assert _pause("alice", "10.0.0.66") <= datetime.timedelta(minutes=1)
    AccessAttempt.objects.update(failures_since_start=30)
    assert _pause("alice", "10.0.0.66") <= datetime.timedelta(hours=1)
    assert _pause("alice", "10.0.0.66") > datetime.timedelta(minutes=59)


def test_m4_the_security_administrator_lists_and_clears_the_pauses(alice, office):
    for _n in range(5):
        _sign_in("alice", "wrong", "10.0.0.66")
    security = holder("secadmin", roles.SECURITY_ADMIN)
    for user in (holder("sysadmin", roles.SYSTEM_ADMIN), holder("auditor", roles.AUDIT_ADMIN)):
        client = Client()
        client.force_login(user)
        assert client.get("/admin/axes/accessattempt/").status_code == 403
    client = Client()
    client.force_login(security)
    listing = client.get("/admin/axes/accessattempt/").content.decode()
    assert "alice" in listing and "10.0.0.66" in listing and "暂停至" in listing
    pks = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = client.post(
        "/admin/axes/accessattempt/", {"action": "clear_locks", "_selected_action": pks}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    entry = AuditEntry.objects.get(action="unlock")
    assert (entry.actor, entry.object_repr) == ("secadmin", "alice @ 10.0.0.66")
    assert entry.old == {"ip_address": "10.0.0.66", "failures": 5}
    assert _sign_in("alice", GOOD, "10.0.0.66").status_code == 302


def test_l1_the_password_reset_pages_are_gone(client, alice):
    for url in (
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/x-y/",
        "/accounts/reset/done/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"email": "a@example.org"}).status_code == 404, url


def test_l1_x_forwarded_for_is_ignored_unless_the_peer_is_a_named_proxy(alice, settings):
    for n in range(5):  # forged hops do not spread the failures over made-up addresses
        _sign_in("alice", "wrong", "10.0.0.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.9"}
    AccessAttempt.objects.all().delete()
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
    _sign_in("alice", "wrong", "127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.7")
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"  # the hop nginx appended
