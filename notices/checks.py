"""Validation rules of notice preferences, one function per rule, one message each."""

from __future__ import annotations

from django.utils.translation import gettext as _


def email_needed_error(*, by_email: bool, email: str) -> str | None:
    if by_email and not email:
        return _("To receive e-mail, give your e-mail address.")
    return None


def code_error(*, matches: bool, expired: bool) -> str | None:
    if expired:
        return _("The code has expired; save your address again to get a new one.")
    if not matches:
        return _("The code does not match the one sent to your address.")
    return None
