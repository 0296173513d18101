"""Writes of messages and preferences: keyword-only, validated, in a transaction. A person
changes only their own (the views pass request.user, never an id from the form)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notices.checks import code_error, email_needed_error
from notices.models import Notice, Preference

CODE_VALID = datetime.timedelta(hours=24)


def mark_read(*, user: User, notice_id: int) -> int:
    """Mark one of the user's messages read; another's is not found (0)."""
    return Notice.objects.filter(user=user, pk=notice_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def mark_all_read(*, user: User) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def preference_of(user: User) -> Preference:
    return Preference.objects.filter(user=user).first() or Preference(user=user)


def _hash(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def preference_save(
    *, user: User, by_email: bool, by_sms: bool, digest_weekday: int, email: str
) -> Preference:
    """Save the choices. A new address is unverified: e-mail waits until the code sent to it
    is confirmed (`email_confirm`)."""
    error = email_needed_error(by_email=by_email, email=email)
    if error:
        raise ValidationError({"email": error})
    with transaction.atomic():
        preference = preference_of(user)
        new_address = email != preference.email
        preference.by_sms = by_sms
        preference.digest_weekday = digest_weekday
        preference.email = email
        code = ""
        if new_address:
            preference.email_verified_at = None
            code = f"{secrets.randbelow(10**6):06d}" if email else ""
            preference.code_hash = _hash(code) if code else ""
            preference.code_sent_at = timezone.now() if code else None
        # E-mail is on only once the address is verified; the wish is kept until then.
        preference.by_email = by_email and preference.email_verified_at is not None
        preference.full_clean()
        preference.save()
    if code:
        send_mail(
            _("Xigang portal: confirm your e-mail address"),
            _("Your confirmation code is %(code)s. Enter it on the page 消息设置 within 24 hours.")
            % {"code": code},
            None,
            [email],
        )
    return preference


def email_confirm(*, user: User, code: str, by_email: bool = True) -> Preference:
    preference = preference_of(user)
    expired = (
        preference.code_sent_at is None or preference.code_sent_at + CODE_VALID < timezone.now()
    )
    matches = bool(preference.code_hash) and hmac.compare_digest(
        preference.code_hash, _hash(code.strip())
    )
    error = code_error(matches=matches, expired=expired)
    if error:
        raise ValidationError({"code": error})
    with transaction.atomic():
        preference.email_verified_at = timezone.now()
        preference.code_hash = ""
        preference.by_email = by_email
        preference.full_clean()
        preference.save()
    return preference
