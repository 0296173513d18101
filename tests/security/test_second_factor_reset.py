"""A lost authenticator: only a 安全管理员 resets another user's second factor, in the accounts
admin. The devices go, the change history says who reset whose factor and when, and the user
sets up a new one at the next sign-in; a holder cannot reset their own."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.security.helpers import holder, signed_in_verified
from xigang import history, roles
from xigang.models import AuditEntry
from xigang.security.second_factor import second_factor_reset

pytestmark = pytest.mark.second_factor

CHANGELIST = "/admin/auth/user/"
ACTION = "reset_second_factor"


@pytest.fixture
def security(db):
    return holder("secadmin", roles.SECURITY_ADMIN)


def _reset(client, *users):
    return client.post(CHANGELIST, {"action": ACTION, "_selected_action": [u.pk for u in users]})


def test_the_security_administrator_resets_another_users_factor(security, office):
    theirs = signed_in_verified(office)  # office lost the phone, with a session still open
    mine = signed_in_verified(security)
    assert ACTION in mine.get(CHANGELIST).content.decode()

    response = _reset(mine, office)
    assert response.status_code == 302
    page = mine.get(response["Location"]).content.decode()
    assert "用户 office 的双因素认证已重置" in page
    assert not TOTPDevice.objects.filter(user=office).exists()
    assert TOTPDevice.objects.filter(user=security).exists()

    entry = AuditEntry.objects.get(action="reset_otp")
    assert (entry.actor_id, entry.actor, entry.model) == (security.pk, "secadmin", "auth.user")
    assert (entry.object_pk, entry.object_repr) == (str(office.pk), "office")
    assert entry.old == {"totp_devices": [{"name": "default", "confirmed": True}]}
    assert entry.at is not None and entry.source == "admin"
    assert history.verify_chain().ok

    # the open session has ended (test_end_sessions.py); a new sign-in sets up a new factor
    for client in (theirs, Client()):
        client.force_login(office)
        verify = client.get("/dashboard/items/")
        assert verify["Location"].startswith("/accounts/otp/verify/")
        setup = client.get(verify["Location"])
        assert setup["Location"].startswith("/accounts/otp/setup/")
        assert "<svg" in client.get(setup["Location"]).content.decode()


@pytest.mark.parametrize("who", [roles.SYSTEM_ADMIN, roles.AUDIT_ADMIN, "superuser", "office"])
def test_nobody_else_may_reset_a_factor(who, security, office):
    if who == "superuser":
        actor = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    elif who == "office":
        actor = office
        office.is_staff = True
        office.save()
    else:
        actor = holder("holder", who)
    victim = get_user_model().objects.create_user("victim")
    device = TOTPDevice.objects.create(user=victim, name="default", confirmed=True)
    client = signed_in_verified(actor)
    listing = client.get(CHANGELIST)
    assert listing.status_code in (200, 403)
    assert ACTION not in listing.content.decode()
    response = _reset(client, victim)
    assert response.status_code in (200, 302, 403)  # an action not offered is ignored
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    with pytest.raises(PermissionDenied):
        second_factor_reset(user=victim, by=actor)
    assert not AuditEntry.objects.filter(action="reset_otp").exists()


def test_business_roles_do_not_reach_the_accounts_admin(cast):
    victim = get_user_model().objects.create_user("victim")
    device = TOTPDevice.objects.create(user=victim, name="default", confirmed=True)
    for user in cast.values():
        client = Client()
        client.force_login(user)
        response = _reset(client, victim)
        assert response.status_code in (302, 403), user
        assert (
            response.status_code == 403
            or "/login/" in response["Location"]
            or ("/otp/" in response["Location"])
        )
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_a_holder_cannot_reset_their_own_factor_another_holder_can(security, office):
    TOTPDevice.objects.create(user=office, name="default", confirmed=True)
    mine = signed_in_verified(security)
    response = _reset(mine, security, office)  # one refused: none of them is reset
    page = mine.get(response["Location"]).content.decode()
    assert "不能重置自己的双因素认证" in page
    assert TOTPDevice.objects.filter(user=security).count() == 1
    assert TOTPDevice.objects.filter(user=office).count() == 1
    assert not AuditEntry.objects.filter(action="reset_otp").exists()
    with pytest.raises(ValidationError):
        second_factor_reset(user=security, by=security)

    colleague = holder("secadmin2", roles.SECURITY_ADMIN)
    assert second_factor_reset(user=security, by=colleague) == 1
    assert not TOTPDevice.objects.filter(user=security).exists()
    assert AuditEntry.objects.get(action="reset_otp").actor == "secadmin2"
