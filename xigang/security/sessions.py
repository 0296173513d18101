"""Ending a user's sessions when their access is withdrawn (docs/security.md).

Django already ends the other sessions when a password changes (the session auth hash) and
signs nobody in as an inactive user, but an inactive user's session rows stay: made active
again, the account would find its old sessions open. `end_sessions` deletes them, and is
called where access is withdrawn:

- the second factor reset by a 安全管理员 (`second_factor_reset`);
- an account turned inactive, by whatever path saves it (the accounts admin, the shell, any
  service): the `pre_save`/`post_save` pair below, the one state change that must end sessions
  whatever writes it (a queryset `update(is_active=False)` sends no signal: don't use one);
- an account left without any group (role or post), by `cadre_save` (cadre admin, `cadres`
  ledger) or the accounts admin: `ending_sessions_on_last_group` around the change. Not a
  signal: `groups.set()` removes before it adds, so a role swap passes through "no group".

The project keeps sessions in the database (`django.contrib.sessions.backends.db`) and no
per-user record of them, and the session data is signed and compressed, so the user id cannot
be queried. The live rows only (expiry in the future: a session idle 30 minutes is dead) are
read and decoded, and the user's are deleted in one statement. A request of the user already
under way cannot bring its session back: saving a session whose row is gone fails
(`SessionInterrupted`) instead of inserting it again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from xigang import history

DB_ENGINE = "django.contrib.sessions.backends.db"

# Why the sessions ended (the history entry's new["reason"]).
SECOND_FACTOR_RESET = "second_factor_reset"
DEACTIVATED = "deactivated"
NO_GROUP_LEFT = "no_group_left"
REASONS = (SECOND_FACTOR_RESET, DEACTIVATED, NO_GROUP_LEFT)


def end_sessions(user: User, *, reason: str) -> int:
    """Delete every live session of `user`; record whose ended and why. Returns how many."""
    if reason not in REASONS:
        raise ValueError(reason)
    if settings.SESSION_ENGINE != DB_ENGINE:
        # Another engine keeps sessions where this cannot find them: fail, never pass silently.
        raise ImproperlyConfigured(f"end_sessions needs SESSION_ENGINE = {DB_ENGINE!r}")
    user_id = str(user.pk)  # Django stores the id as text
    store = SessionStore()
    live = Session.objects.filter(expire_date__gt=timezone.now()).values_list(
        "session_key", "session_data"
    )
    keys = [
        key
        for key, data in live.iterator(chunk_size=1000)
        if str(store.decode(data).get(SESSION_KEY)) == user_id
    ]
    ended = Session.objects.filter(session_key__in=keys).delete()[0] if keys else 0
    history.record(
        "logout_all",
        model="auth.user",
        object_pk=user.pk,
        object_repr=user.get_username(),
        new={"reason": reason, "sessions_ended": ended},
    )
    return ended


@contextlib.contextmanager
def ending_sessions_on_last_group(user: User) -> Iterator[None]:
    """Around a change of `user`'s groups: if they held a role or post before and hold none
    after (and are no superuser), their sessions end."""
    held = user.pk is not None and user.groups.exists()
    yield
    if held and not user.is_superuser and not user.groups.exists():
        end_sessions(user, reason=NO_GROUP_LEFT)


# --- an account turned inactive ----------------------------------------------------------------


def _note_deactivation(
    sender: type[User],
    instance: User,
    update_fields: frozenset[str] | None = None,
    raw: bool = False,
    **kwargs: Any,
) -> None:
    instance.__dict__.pop("_xigang_deactivated", None)
    if raw or instance.is_active or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    was_active = sender._base_manager.filter(pk=instance.pk, is_active=True).exists()
    if was_active:
        instance.__dict__["_xigang_deactivated"] = True


def _end_sessions_of_deactivated(
    sender: type[User], instance: User, raw: bool = False, **kwargs: Any
) -> None:
    if instance.__dict__.pop("_xigang_deactivated", False):
        end_sessions(instance, reason=DEACTIVATED)


def connect() -> None:
    """The project uses Django's own user model (no AUTH_USER_MODEL)."""
    pre_save.connect(_note_deactivation, sender=User, dispatch_uid="xigang.deactivate.pre")
    post_save.connect(
        _end_sessions_of_deactivated, sender=User, dispatch_uid="xigang.deactivate.post"
    )
