"""The rules of an organisation record, one function and one message each, for the services,
the admin and the ledgers alike: each returns why a value is refused, in the user's language,
or None."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.utils.translation import gettext as _

from xigang.periods import starts_period

# Also the database's constraint `cadre_mobile_11_digits`.
MOBILE = re.compile(r"^1\d{10}$")


def mobile_error(value: str) -> str | None:
    """A cadre's mobile number is empty or 11 digits beginning with 1."""
    if not value or MOBILE.match(value):
        return None
    return _("「%(value)s」 is not an 11-digit mobile number beginning with 1") % {"value": value}


def parameter_date_error(effective_from: datetime.date, today: datetime.date) -> str | None:
    """A parameter changes from a day after today: what is or was in force is never rewritten
    (art. 44)."""
    if effective_from > today:
        return None
    return _(
        "a change of a rule parameter applies from a date after today (%(today)s); what is or "
        "was in force is kept as it was"
    ) % {"today": today.isoformat()}


def parameter_settled_error(effective_from: datetime.date, today: datetime.date) -> str | None:
    """A row in force (today or earlier) is neither changed nor withdrawn."""
    if effective_from > today:
        return None
    return _(
        "this value has been in force since %(day)s: it cannot be changed or withdrawn; add a "
        "change from a later date"
    ) % {"day": effective_from.isoformat()}


def parameter_value_error(name: str, value: int, months: Iterable[int]) -> str | None:
    """A visit frequency is a calendar period (1, 3, 6 or 12 months); other numbers are whole
    days, at least 1 (a due-soon window may be 0)."""
    months = sorted(months)
    if name == "months" and value not in months:
        return _("a frequency is one of %(allowed)s months, not %(value)s") % {
            "allowed": "、".join(str(m) for m in months),
            "value": value,
        }
    if name != "months" and name != "due_soon_days" and value < 1:
        return _("the number of days must be at least 1")
    return None


def frequency_start_error(day: datetime.date, kinds: Iterable[str]) -> str | None:
    """A frequency changes on the first day of a period of both the old and the new frequency,
    so that periods follow one another without gap or overlap."""
    for kind in kinds:
        if not starts_period(kind, day):
            return _(
                "a frequency changes on the first day of a period of the frequency before and "
                "after it (%(kind)s): %(day)s is not"
            ) % {"kind": _(kind), "day": day.isoformat()}
    return None
