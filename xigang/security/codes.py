"""One-time codes (docs/security.md, "Round two"): a 系统管理员 never sets another's password.
It issues a code, shown once and given in person, with which the user sets their own password
(and, where their role needs one and they have none, their second factor) at /accounts/code/.

Only the code's hash is kept, with an expiry; a new code voids the user's earlier ones, and five
wrong tries void it. Issuing and redeeming are in the change history (who, whom, when; never the
code). A reset code leaves a confirmed second factor in place: whoever redeems it still needs
the user's authenticator. Redeemed for an account whose role needs a second factor and that has
none, a reset code lets nobody enrol one until a 安全管理员 resets the factor: the 系统管理员
who saw the code cannot take such an account over alone (C2)."""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from xigang import history, roles
from xigang.models import AccessCode
from xigang.security.posts import holds_post

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed by hand
GROUPS, GROUP_LENGTH = 3, 4
MAX_FAILURES = 5


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


@transaction.atomic
def access_code_issue(*, user: User, by: User) -> tuple[str, AccessCode]:
    """A new code for `user` (the plain text, returned once, and its row)."""
    if not holds_post(by, roles.SYSTEM_ADMIN):
        raise PermissionDenied
    if user.pk == by.pk:
        raise ValidationError(
            _("You cannot issue a code for your own account: another 系统管理员 must."),
            code="own_code",
        )
    if not user.is_active:
        raise ValidationError(
            _("%(name)s is inactive: activate the account first.") % {"name": user.get_username()},
            code="inactive",
        )
    plain = "-".join(
        "".join(secrets.choice(ALPHABET) for _n in range(GROUP_LENGTH)) for _g in range(GROUPS)
    )
    purpose = AccessCode.Purpose.RESET if user.has_usable_password() else AccessCode.Purpose.ENROL
    AccessCode.objects.filter(user=user, used_at__isnull=True).delete()  # one live code a user
    code = AccessCode.objects.create(
        user=user,
        purpose=purpose,
        code_hash=make_password(_normalise(plain)),
        issued_by_id=by.pk,
        issued_by=by.get_username(),
        expires_at=timezone.now() + datetime.timedelta(hours=settings.ACCESS_CODE_HOURS),
    )
    with history.acting(by, history.current().source):
        history.record(
            "issue_code",
            model="auth.user",
            object_pk=user.pk,
            object_repr=user.get_username(),
            new={"purpose": purpose, "expires_at": code.expires_at},
        )
    return plain, code


def _live_code(username: str) -> AccessCode | None:
    return (
        AccessCode.objects.select_related("user")
        .filter(
            user__username=username,
            user__is_active=True,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            failures__lt=MAX_FAILURES,
        )
        .order_by("-issued_at")
        .first()
    )


def access_code_check(*, username: str, code: str) -> AccessCode:
    """The live code of `username` matching `code`; a wrong code counts towards voiding it.
    One message for every failure: it tells nobody whether the account exists."""
    found = _live_code(username.strip())
    if found is not None and check_password(_normalise(code), found.code_hash):
        return found
    if found is not None:
        AccessCode.objects.filter(pk=found.pk).update(failures=F("failures") + 1)
    raise ValidationError(
        _("The user name or the code is wrong, or the code has expired or been used."),
        code="bad_code",
    )


def _factor_missing(user: User) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from xigang.security.middleware import needs_second_factor

    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    return needs_second_factor(user) and not confirmed


def factor_held(user: User | AnonymousUser) -> bool:
    """Whether enrolling a second factor waits for a 安全管理员 (see `holds_factor`)."""
    return AccessCode.objects.filter(user_id=user.pk, holds_factor=True).exists()


@transaction.atomic
def access_code_redeem(*, code: AccessCode, password: str) -> User:
    """Set the user's own password with their code (the password rules apply); the code is
    spent, the change recorded with the user as actor. Django's session hash ends the sessions
    that the old password had."""
    user = code.user
    validate_password(password, user)
    locked = AccessCode.objects.select_for_update().get(pk=code.pk)
    if locked.used_at is not None:
        raise ValidationError(_("This code has already been used."), code="used")
    locked.used_at = timezone.now()
    locked.holds_factor = code.purpose == AccessCode.Purpose.RESET and _factor_missing(user)
    locked.save(update_fields=["used_at", "holds_factor"])
    user.set_password(password)
    user.save()
    with history.acting(user, "form"):
        history.record(
            "password",
            model="auth.user",
            object_pk=user.pk,
            object_repr=user.get_username(),
            new={"via": "one_time_code", "purpose": code.purpose, "issued_by": code.issued_by},
        )
    return user
