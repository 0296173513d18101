"""Sessions end when access is withdrawn: a second factor reset, an account turned inactive (in
the accounts admin or by any save), an account left without any role; a new password set by an
administrator ends them through Django's session auth hash. Each time the signed-in browser is
sent to the sign-in page at its next request, other users go on, and the change history says
whose sessions ended and why."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client

from duties.organisation.ledgers import CadreLedger
from tests.conftest import workbook
from tests.security.helpers import holder, signed_in_verified
from xigang import history, roles
from xigang.ledgers import import_ledger
from xigang.models import AuditEntry
from xigang.security.sessions import end_sessions

GOOD = "Xigang-2026!"


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", password=GOOD)


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user("bob", password=GOOD)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 200
    return client


def _session_key(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _sent_to_sign_in(client) -> bool:
    response = client.get("/dashboard/items/")
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def _ended_entries(user):
    return list(
        AuditEntry.objects.filter(action="logout_all", object_pk=str(user.pk)).order_by("id")
    )


def test_it_deletes_every_session_of_the_user_and_no_other(alice, bob):
    phone, desk, others = _signed_in(alice), _signed_in(alice), _signed_in(bob)
    with history.acting(bob, "command"):
        assert end_sessions(alice, reason="deactivated") == 2
    assert not Session.objects.filter(pk__in=[_session_key(phone), _session_key(desk)]).exists()
    assert _sent_to_sign_in(phone) and _sent_to_sign_in(desk)
    assert others.get("/").status_code == 200
    [entry] = _ended_entries(alice)
    assert (entry.actor, entry.model, entry.object_repr) == ("bob", "auth.user", "alice")
    assert entry.new == {"reason": "deactivated", "sessions_ended": 2}
    assert end_sessions(alice, reason="deactivated") == 0  # nothing left; still recorded
    assert history.verify_chain().ok


@pytest.mark.second_factor
def test_a_second_factor_reset_ends_the_users_sessions(office, pairing):
    security = holder("secadmin", roles.SECURITY_ADMIN)
    theirs = signed_in_verified(office)  # the lost phone may hold a signed-in browser
    mine = signed_in_verified(security)
    bystander = _signed_in(pairing)

    response = mine.post(
        "/admin/auth/user/", {"action": "reset_second_factor", "_selected_action": [office.pk]}
    )
    page = mine.get(response["Location"]).content.decode()
    assert "用户 office 的双因素认证已重置，其已登录的会话已全部结束" in page

    assert _sent_to_sign_in(theirs)  # not merely asked for a code again: signed out
    assert bystander.get("/").status_code == 200
    [entry] = _ended_entries(office)
    assert (entry.actor, entry.source) == ("secadmin", "admin")
    assert entry.new == {"reason": "second_factor_reset", "sessions_ended": 1}
    assert history.verify_chain().ok


def test_deactivating_an_account_in_the_accounts_admin_ends_its_sessions(alice, bob):
    system = holder("sysadmin", roles.SYSTEM_ADMIN)
    admin = _signed_in(system)
    phone, desk, others = _signed_in(alice), _signed_in(alice), _signed_in(bob)

    response = admin.post(
        f"/admin/auth/user/{alice.pk}/change/",
        {"username": "alice", "first_name": "", "last_name": "", "email": "", "is_staff": ""},
    )  # is_active left unticked
    assert response.status_code == 302, response.content.decode()[:2000]
    alice.refresh_from_db()
    assert not alice.is_active

    assert _sent_to_sign_in(phone) and _sent_to_sign_in(desk)
    assert others.get("/").status_code == 200
    assert admin.get("/admin/auth/user/").status_code == 200
    [entry] = _ended_entries(alice)
    assert (entry.actor, entry.source) == ("sysadmin", "admin")
    assert entry.new == {"reason": "deactivated", "sessions_ended": 2}
    assert history.verify_chain().ok


def test_an_account_deactivated_by_any_save_does_not_find_its_sessions_again(alice, bob):
    """A service or the shell saving `is_active=False`: made active again later, the account's
    old browsers stay signed out (before, Django only refused the inactive user, and the rows
    waited)."""
    browser, others = _signed_in(alice), _signed_in(bob)
    key = _session_key(browser)
    alice.is_active = False
    alice.save()
    assert not Session.objects.filter(pk=key).exists()
    alice.save()  # already inactive: nothing more ends, nothing more is recorded
    alice.is_active = True
    alice.save()
    assert _sent_to_sign_in(browser)
    assert others.get("/").status_code == 200
    assert [e.new for e in _ended_entries(alice)] == [
        {"reason": "deactivated", "sessions_ended": 1}
    ]


def test_a_cadre_left_without_roles_by_the_cadres_ledger_is_signed_out(
    tmp_path, office, east_cadre, west_cadre, pairing
):
    theirs, neighbour, moved = _signed_in(east_cadre), _signed_in(west_cadre), _signed_in(pairing)
    path = workbook(
        tmp_path / "c.xlsx",
        ["用户名", "姓名", "单位", "角色"],
        [["east_cadre", "east_cadre", "东村", None], ["pairing", "pairing", "东村", "村干部"]],
    )
    with history.acting(office, "ledger"):
        report = import_ledger(CadreLedger(office), path)
    assert (report.updated, report.errors) == (2, [])
    assert not east_cadre.groups.exists()

    assert _sent_to_sign_in(theirs)
    assert neighbour.get("/").status_code == 200
    # A role changed for another (the groups pass through none on the way) keeps the session.
    assert moved.get("/").status_code == 200
    assert not _ended_entries(pairing)
    [entry] = _ended_entries(east_cadre)
    assert entry.actor == "office" and entry.batch  # under the import's batch
    assert entry.new == {"reason": "no_group_left", "sessions_ended": 1}
    assert history.verify_chain().ok


def test_the_last_role_taken_away_in_the_accounts_admin_ends_the_sessions(east_cadre, pairing):
    security = holder("secadmin", roles.SECURITY_ADMIN)
    admin = _signed_in(security)
    theirs, other = _signed_in(east_cadre), _signed_in(pairing)
    response = admin.post(f"/admin/auth/user/{east_cadre.pk}/change/", {"groups": []})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not east_cadre.groups.exists()
    assert _sent_to_sign_in(theirs)
    assert other.get("/").status_code == 200
    [entry] = _ended_entries(east_cadre)
    assert (entry.actor, entry.new["reason"]) == ("secadmin", "no_group_left")


def test_a_new_password_set_with_a_one_time_code_ends_the_sessions_by_itself(alice, bob):
    """No screen sets another's password any more (round two, C2): the user sets their own with
    a code from the 系统管理员. Django's session auth hash (an HMAC of the password hash) ends
    the old sessions: no code of ours runs, and none is recorded as ended by us."""
    from xigang.security.codes import access_code_check, access_code_issue, access_code_redeem

    system = holder("sysadmin", roles.SYSTEM_ADMIN)
    admin = _signed_in(system)
    browser, others = _signed_in(alice), _signed_in(bob)
    assert admin.get(f"/admin/auth/user/{alice.pk}/password/").status_code == 403
    plain, _code = access_code_issue(user=alice, by=system)
    access_code_redeem(
        code=access_code_check(username="alice", code=plain), password="Fresh-2026-pw"
    )
    assert _sent_to_sign_in(browser)
    assert others.get("/").status_code == 200
    assert admin.get("/admin/auth/user/").status_code == 200
    assert not _ended_entries(alice)
