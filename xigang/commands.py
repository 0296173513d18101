"""What the management commands share: acting as a user, so commands go through the scope."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _


def system_user() -> User:
    """The operator at the server's shell: unrestricted, and saved nowhere."""
    return get_user_model()(username="system", is_superuser=True, is_staff=True, is_active=True)


def acting_user(username: str | None) -> User:
    """`--user NAME` makes a command see and do exactly what that user may in the portal."""
    from xigang import history

    if not username:
        user = system_user()
        history.set_actor(user, "command")  # the change history names the operator "system"
        return user
    try:
        user = get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(_("no active user 「%(name)s」") % {"name": username}) from exc
    history.set_actor(user, "command")
    return user


def day_option(value: str | None) -> datetime.date:
    """A command's YYYY-MM-DD option, today (Shanghai) when not given."""
    if not value:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            _("「%(value)s」 is not a date; write it as 2026-07-15") % {"value": value}
        ) from exc


def add_user_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--user",
        help="act as this user: only their scope is read or written (default: the operator, "
        "unrestricted)",
    )
