"""Security, round two (docs/security.md): the three posts kept apart by code (C1), no screen
sets another's password: one-time codes (C2), the cadre services refuse to touch their users'
own roles or another account (C3). Every change is in the chained history."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from duties.models import Department
from duties.organisation.ledgers import CadreLedger
from duties.organisation.services import cadre_save
from tests.conftest import workbook
from tests.forms import shown_version
from tests.security.helpers import holder
from xigang import history, roles
from xigang.ledgers import import_ledger
from xigang.models import AccessCode, AuditEntry
from xigang.security.codes import access_code_issue

USERS = "/admin/auth/user/"
NEW_PASSWORD = "Mine-2026-own"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _groups(user):
    return set(user.groups.values_list("name", flat=True))


def _set_groups(client, user, names):
    ids = list(Group.objects.filter(name__in=names).values_list("pk", flat=True))
    account = {"username": user.username, "is_active": "on"}  # read-only for a 安全管理员
    return client.post(f"{USERS}{user.pk}/change/", {**account, "groups": ids})


@pytest.fixture
def security(db):
    return holder("secadmin", roles.SECURITY_ADMIN)


@pytest.fixture
def system(db):
    return holder("sysadmin", roles.SYSTEM_ADMIN)


# --- C1: posts and permissions apart in code --------------------------------------------------


def test_c1_group_rows_edited_in_the_database_give_nobody_anything(security, east_cadre):
    """The matrix is code: the attack of C1 (audit log and "add user" for itself, delete rights
    for 村干部) written straight into the group rows changes no one's permissions."""
    Group.objects.get(name=roles.SECURITY_ADMIN).permissions.add(
        Permission.objects.get(codename="view_auditentry"),
        Permission.objects.get(codename="add_user"),
    )
    Group.objects.get(name=roles.VILLAGE).permissions.add(
        Permission.objects.get(codename="delete_household"),
        Permission.objects.get(codename="delete_member"),
    )
    security = get_user_model().objects.get(pk=security.pk)
    east_cadre = get_user_model().objects.get(pk=east_cadre.pk)
    assert not security.has_perm("xigang.view_auditentry")
    assert not security.has_perm("auth.add_user")
    assert not east_cadre.has_perm("households.delete_household")
    assert east_cadre.has_perm("households.change_household")  # the matrix still applies


def test_c1_groups_are_shown_read_only_to_everyone(security, system):
    group = Group.objects.get(name=roles.VILLAGE)
    for user in (security, system):
        client = _client(user)
        page = client.get(f"/admin/auth/group/{group.pk}/change/")
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        perm = Permission.objects.get(codename="delete_household")
        response = client.post(
            f"/admin/auth/group/{group.pk}/change/", {"name": "x", "permissions": [perm.pk]}
        )
        assert response.status_code == 403
        assert client.get("/admin/auth/group/add/").status_code == 403
    assert not group.permissions.filter(codename="delete_household").exists()


def test_c1_nobody_changes_their_own_roles_or_posts(security, system):
    for user, wanted in ((security, roles.OFFICE), (system, roles.INSPECTOR)):
        response = _set_groups(_client(user), user, _groups(user) | {wanted})
        assert response.status_code == 200
        assert "自己的角色" in response.content.decode()
        assert wanted not in _groups(user)
    assert not AuditEntry.objects.filter(action="groups", actor__in=["secadmin", "sysadmin"])


def test_c1_only_the_security_administrator_gives_posts_recorded_with_who_and_whom(
    security, system
):
    someone = get_user_model().objects.create_user("someone")
    refused = _set_groups(_client(system), someone, {roles.AUDIT_ADMIN})
    assert refused.status_code == 200 and "安全管理员" in refused.content.decode()
    assert not _groups(someone)

    assert _set_groups(_client(security), someone, {roles.AUDIT_ADMIN}).status_code == 302
    assert _groups(someone) == {roles.AUDIT_ADMIN}
    entry = AuditEntry.objects.get(action="groups", object_repr="someone")
    assert (entry.actor, entry.object_pk) == ("secadmin", str(someone.pk))
    assert (entry.old, entry.new) == ({"groups": []}, {"groups": [roles.AUDIT_ADMIN]})
    assert history.verify_chain().ok


def test_c1_a_post_holders_roles_change_only_through_the_security_administrator(security, system):
    auditor = holder("auditor", roles.AUDIT_ADMIN)
    refused = _set_groups(_client(system), auditor, {roles.AUDIT_ADMIN, roles.INSPECTOR})
    assert refused.status_code == 200 and "管理员岗位" in refused.content.decode()
    assert _groups(auditor) == {roles.AUDIT_ADMIN}
    # the 系统管理员 gives roles to the other accounts
    clerk = get_user_model().objects.create_user("clerk")
    assert _set_groups(_client(system), clerk, {roles.LEADER}).status_code == 302
    assert _groups(clerk) == {roles.LEADER} and get_user_model().objects.get(pk=clerk.pk).is_staff
    assert AuditEntry.objects.get(action="groups", object_repr="clerk").actor == "sysadmin"


# --- C2: one-time codes instead of passwords set by an administrator --------------------------


def test_c2_no_screen_sets_another_users_password(system, alice_with_password):
    client = _client(system)
    url = f"{USERS}{alice_with_password.pk}/password/"
    assert client.get(url).status_code == 403
    response = client.post(url, {"password1": "Fresh-2026-pw", "password2": "Fresh-2026-pw"})
    assert response.status_code == 403
    assert get_user_model().objects.get(pk=alice_with_password.pk).check_password("Xigang-2026!")
    change = client.get(f"{USERS}{alice_with_password.pk}/change/").content.decode()
    assert "password/" not in change
    add = client.get(f"{USERS}add/").content.decode()
    assert 'name="password1"' not in add and 'name="usable_password"' not in add
    created = client.post(f"{USERS}add/", {"username": "newbie", "first_name": "新人"})
    assert created.status_code == 302
    newbie = get_user_model().objects.get(username="newbie")
    assert not newbie.has_usable_password()
    entry = AuditEntry.objects.get(action="account", object_repr="newbie")
    assert entry.actor == "sysadmin" and entry.new["is_active"] is True


@pytest.fixture
def alice_with_password(db):
    return get_user_model().objects.create_user("alice", password="Xigang-2026!")


def _issue(client, user):
    return client.post(USERS, {"action": "issue_access_code", "_selected_action": [user.pk]})


def _code_in(page: str) -> str:
    return page.split('class="access-code"><strong>')[1].split("<")[0]


def _redeem(client, username, code, password=NEW_PASSWORD):
    data = {"username": username, "code": code, "new_password1": password}
    return client.post("/accounts/code/", {**data, "new_password2": password})


def test_c2_a_code_is_shown_once_kept_hashed_and_recorded(system, alice_with_password):
    page = _issue(_client(system), alice_with_password)
    assert page.status_code == 200
    plain = _code_in(page.content.decode())
    stored = AccessCode.objects.get(user=alice_with_password)
    assert stored.purpose == "reset" and plain not in stored.code_hash
    assert stored.expires_at - timezone.now() <= datetime.timedelta(hours=24)
    entry = AuditEntry.objects.get(action="issue_code")
    assert (entry.actor, entry.object_repr, entry.new["purpose"]) == ("sysadmin", "alice", "reset")
    assert not AuditEntry.objects.filter(new__icontains=plain).exists()

    anonymous = Client()
    wrong = _redeem(anonymous, "alice", "AAAA-BBBB-CCCC")
    assert wrong.status_code == 200 and "开通码不正确" in wrong.content.decode()
    done = _redeem(anonymous, "alice", plain.lower().replace("-", " "))  # as typed by hand
    assert done.status_code == 302
    alice = get_user_model().objects.get(pk=alice_with_password.pk)
    assert alice.check_password(NEW_PASSWORD)
    used = AuditEntry.objects.get(action="password")
    assert (used.actor, used.object_repr, used.new["issued_by"]) == ("alice", "alice", "sysadmin")
    assert _redeem(Client(), "alice", plain, "Other-2026-pw").status_code == 200  # spent
    assert history.verify_chain().ok


def test_c2_codes_expire_and_five_wrong_tries_void_them(system, alice_with_password):
    plain, code = access_code_issue(user=alice_with_password, by=system)
    AccessCode.objects.filter(pk=code.pk).update(expires_at=timezone.now())
    assert _redeem(Client(), "alice", plain).status_code == 200
    plain, code = access_code_issue(user=alice_with_password, by=system)  # voids the old one
    assert AccessCode.objects.filter(user=alice_with_password).count() == 1
    for _n in range(5):
        _redeem(Client(), "alice", "WRONG-CODE-0000")
    assert _redeem(Client(), "alice", plain).status_code == 200
    assert get_user_model().objects.get(pk=alice_with_password.pk).check_password("Xigang-2026!")


def test_c2_only_a_system_administrator_issues_codes_and_never_for_itself(
    system, security, alice_with_password
):
    for user in (security, holder("auditor", roles.AUDIT_ADMIN)):
        _issue(_client(user), alice_with_password)
    assert not AccessCode.objects.exists()
    refused = _client(system).post(
        USERS, {"action": "issue_access_code", "_selected_action": [system.pk]}, follow=True
    )
    assert "另一位系统管理员" in refused.content.decode()
    assert not AccessCode.objects.exists()


@pytest.mark.second_factor
def test_c2_a_code_does_not_pass_the_users_second_factor(system, office):
    """The attack of C2 as the office: a code sets the password, but a confirmed authenticator
    stays, and whoever redeems it is asked for its code before any page."""
    TOTPDevice.objects.create(user=office, name="default", confirmed=True)
    plain, _code = access_code_issue(user=office, by=system)
    client = Client()
    assert _redeem(client, "office", plain).status_code == 302
    response = client.get("/households/quality/")
    assert response.status_code == 302 and "/accounts/otp/verify/" in response["Location"]
    assert TOTPDevice.objects.filter(user=office, confirmed=True).count() == 1


@pytest.mark.second_factor
def test_c2_an_enrolment_code_sets_the_password_then_the_second_factor(system):
    cadre = cadre_save(
        username="newoffice",
        name="新",
        unit=Department.objects.get(name="扶贫办"),
        roles=[roles.OFFICE],
    )
    plain, code = access_code_issue(user=cadre.user, by=system)
    assert code.purpose == "enrol"
    client = Client()
    response = _redeem(client, "newoffice", plain)
    assert response["Location"] == "/accounts/otp/setup/"
    assert "<svg" in client.get("/accounts/otp/setup/").content.decode()


# --- C3: the cadre services --------------------------------------------------------------------


def _cadre_form(cadre, roles_wanted):
    return {
        "name": cadre.name,
        "mobile": cadre.mobile,
        "department": cadre.department_id or "",
        "village": cadre.village_id or "",
        "title": cadre.title,
        "roles": roles_wanted,
    }


def test_c3_the_office_cannot_give_itself_a_role(office, tmp_path):
    client = _client(office)
    url = f"/admin/duties/cadre/{office.cadre.pk}/change/"
    response = client.post(url, _cadre_form(office.cadre, [roles.OFFICE, roles.INSPECTOR]))
    assert response.status_code == 200 and "自己的角色" in response.content.decode()
    path = workbook(
        tmp_path / "c.xlsx", ["用户名", "姓名", "角色"], [["office", "office", "扶贫办、纪检督查"]]
    )
    with history.acting(office, "ledger"):
        report = import_ledger(CadreLedger(office), path)
    assert report.errors and report.errors[0].header == "角色"
    assert _groups(office) == {roles.OFFICE}
    assert not office.has_perm("xigang.view_auditentry")


def test_c3_a_new_cadre_never_takes_an_existing_account(office, tmp_path):
    auditor = holder("auditor", roles.AUDIT_ADMIN)
    client = _client(office)
    form = {"username": "auditor", "name": "冒名", "department": "", "village": "", "title": ""}
    response = client.post("/admin/duties/cadre/add/", {**form, "mobile": "", "roles": []})
    assert response.status_code == 200 and "另一个账号" in response.content.decode()
    path = workbook(tmp_path / "c.xlsx", ["用户名", "姓名", "角色"], [["auditor", "冒名", None]])
    report = import_ledger(CadreLedger(office), path)
    assert [e.header for e in report.errors] == ["用户名"] and "另一个账号" in str(report.errors[0])
    with pytest.raises(ValidationError):
        cadre_save(username="auditor", name="冒名", roles=[], by=office)
    assert _groups(auditor) == {roles.AUDIT_ADMIN}


def test_c3_a_cadres_roles_changed_by_the_office_are_recorded(office, east_cadre):
    client = _client(office)
    url = f"/admin/duties/cadre/{east_cadre.cadre.pk}/change/"
    form = _cadre_form(east_cadre.cadre, [roles.VILLAGE, roles.PAIRING])
    response = client.post(url, {**form, "_row_version": shown_version(client, url)})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="groups", object_repr="east_cadre", actor="office")
    assert entry.object_pk == str(east_cadre.pk)
    assert entry.old == {"groups": [roles.VILLAGE]}
    assert entry.new == {"groups": [roles.VILLAGE, roles.PAIRING]}


def test_c3_a_post_holders_cadre_roles_change_only_through_the_security_administrator(
    office, security
):
    cadre = cadre_save(username="dual", name="兼", roles=[roles.LEADER])
    holder_user = cadre.user
    from xigang.security.posts import post_assign

    post_assign(user=holder_user, post=roles.AUDIT_ADMIN, by=security)
    with pytest.raises(ValidationError):
        cadre_save(username="dual", name="兼", roles=[roles.INSPECTOR], by=office)
    cadre_save(username="dual", name="兼任", roles=[roles.LEADER], by=office)  # roles kept: fine
    assert _groups(holder_user) == {roles.LEADER, roles.AUDIT_ADMIN}  # the post survives


@pytest.mark.second_factor
def test_c2_a_reset_code_cannot_enrol_a_second_factor_without_the_security_administrator(
    system, security, office
):
    """The attack of C2 on an office account that never set up its authenticator: the code
    sets the password, but nobody enrols a factor until a 安全管理员 releases it."""
    office.set_password("Xigang-2026!")
    office.save()
    plain, code = access_code_issue(user=office, by=system)
    client = Client()
    assert _redeem(client, "office", plain)["Location"] == "/accounts/otp/setup/"
    held = client.get("/accounts/otp/setup/")
    assert held.status_code == 403 and "安全管理员" in held.content.decode()
    assert not TOTPDevice.objects.filter(user=office).exists()
    assert client.get("/households/quality/").status_code == 302  # no page without a factor

    from xigang.security.second_factor import second_factor_reset

    second_factor_reset(user=office, by=security)
    again = Client()
    again.force_login(get_user_model().objects.get(pk=office.pk))  # with its new password
    assert "<svg" in again.get("/accounts/otp/setup/").content.decode()
