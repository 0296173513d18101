"""Resetting a lost second factor: only a 安全管理员 may, for someone else (never themself).

The user's TOTP devices are deleted, so at their next sign-in they are sent to set up a new one
(`otp_setup`); the sessions they still have open end (`xigang.security.sessions`): whoever holds
the lost phone may hold a signed-in browser too. A second factor held after a reset code
(`xigang.security.codes`) is released: the user enrols a new one."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from xigang import history, roles
from xigang.models import AccessCode
from xigang.security.posts import holds_post
from xigang.security.sessions import SECOND_FACTOR_RESET, end_sessions


@transaction.atomic
def second_factor_reset(*, user: User, by: User) -> int:
    """Delete `user`'s TOTP devices, end their sessions and record who reset whose factor;
    returns how many devices went."""
    if not holds_post(by, roles.SECURITY_ADMIN):
        raise PermissionDenied
    if user.pk == by.pk:
        raise ValidationError(
            _(
                "You cannot reset your own second factor: another holder of the post "
                "安全管理员 must do it."
            ),
            code="own_factor",
        )
    AccessCode.objects.filter(user=user, holds_factor=True).update(holds_factor=False)
    devices = TOTPDevice.objects.filter(user=user)
    removed = list(devices.order_by("pk").values("name", "confirmed"))
    devices.delete()
    with history.acting(by, history.current().source):
        history.record(
            "reset_otp",
            model="auth.user",
            object_pk=user.pk,
            object_repr=user.get_username(),
            old={"totp_devices": removed},
            new={"totp_devices": []},
        )
        end_sessions(user, reason=SECOND_FACTOR_RESET)
    return len(removed)
