"""Password rules of 等保 2.0 level 3 (docs/security.md explains why we follow them rather than
OWASP ASVS, which advises against composition and rotation rules)."""

from __future__ import annotations

import datetime
import re

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CLASSES = (
    re.compile(r"[a-z]"),
    re.compile(r"[A-Z]"),
    re.compile(r"[0-9]"),
    re.compile(r"[^a-zA-Z0-9]"),
)


class ComplexityValidator:
    """At least 3 of the 4 character classes, and not the user name (in any case, or reversed)."""

    def __init__(self, classes: int = 3):
        self.classes = classes

    def validate(self, password: str, user=None) -> None:
        if sum(bool(c.search(password)) for c in CLASSES) < self.classes:
            raise ValidationError(
                _(
                    "The password must mix at least 3 of: lower-case letters, upper-case "
                    "letters, digits, other characters."
                ),
                code="password_too_simple",
            )
        username = (user.get_username() if user is not None else "") or ""
        if username and username.lower() in {password.lower(), password.lower()[::-1]}:
            raise ValidationError(
                _("The password must not be the user name."), code="password_is_username"
            )

    def get_help_text(self) -> str:
        return _(
            "At least 3 of: lower-case letters, upper-case letters, digits, other characters; "
            "not the user name."
        )


class HistoryValidator:
    """Not one of the user's last `keep` passwords; records each new password's hash."""

    def __init__(self, keep: int = 5):
        self.keep = keep

    def validate(self, password: str, user=None) -> None:
        if user is None or user.pk is None:
            return
        from xigang.models import PasswordRecord

        recent = PasswordRecord.objects.filter(user=user).values_list("password", flat=True)
        for encoded in recent[: self.keep]:
            if check_password(password, encoded):
                raise ValidationError(
                    _("The password must differ from your last %(n)d passwords.")
                    % {"n": self.keep},
                    code="password_reused",
                )

    def password_changed(self, password: str, user=None) -> None:
        if user is None or user.pk is None or not user.has_usable_password():
            return
        from xigang.models import PasswordRecord

        PasswordRecord.objects.create(user=user, password=user.password)
        stale = PasswordRecord.objects.filter(user=user).values_list("id", flat=True)[self.keep :]
        PasswordRecord.objects.filter(id__in=list(stale)).delete()

    def get_help_text(self) -> str:
        return _("Not one of your last %(n)d passwords.") % {"n": self.keep}


def password_set_at(user) -> datetime.datetime:
    """When the user's current password was set (the account's creation if never recorded)."""
    from xigang.models import PasswordRecord

    latest = PasswordRecord.objects.filter(user=user).values_list("set_at", flat=True).first()
    return latest or user.date_joined

