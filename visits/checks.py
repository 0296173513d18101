"""The rules of what pairing cadres record, one function and one message each, for the services,
the admin and the `visits` ledger alike.

A check is pure: it takes the record's values and what it must be compared with, already read
(for a whole file at once by the ledger), and returns why the record is refused, in the user's
language, or None.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable

from django.utils.translation import gettext as _

from households.checks import PairingSpan


def future_date_error(*, day: datetime.date, today: datetime.date) -> str | None:
    """What happened is dated today or earlier."""
    if day <= today:
        return None
    return _("the date %(date)s is in the future") % {"date": day}


def unpaired_error(
    *,
    cadre_id: int,
    cadre_name: str,
    household_number: str,
    on: datetime.date,
    pairings: Iterable[PairingSpan],
) -> str | None:
    """A visit is made by a cadre paired with the household that day (art. 39): any other visit
    would not count. `pairings`: the household's pairings (`households.checks.pairing_spans`)."""
    if any(p.cadre_id == cadre_id and p.covers(on) for p in pairings):
        return None
    return _("%(cadre)s was not paired with household %(household)s on %(date)s") % {
        "cadre": cadre_name,
        "household": household_number,
        "date": on,
    }


# "规范填写帮扶记录" (art. 39): what was discussed or done, in at least this many characters of
# text (letters or digits: punctuation, symbols and spaces do not count).
CONTENT_MIN_CHARS = 10


def content_error(content: str) -> str | None:
    """A visit says what was discussed or done (art. 39)."""
    text = sum(1 for c in content if unicodedata.category(c)[0] in "LN")
    if text >= CONTENT_MIN_CHARS:
        return None
    return _(
        "say what was discussed or done: at least %(min)d characters of text, "
        "not only punctuation (%(count)d given)"
    ) % {"min": CONTENT_MIN_CHARS, "count": text}


def closed_month_error(
    *,
    on: datetime.date,
    closes_on: datetime.date,
    today: datetime.date,
    may_accept: bool,
    reason: str,
) -> tuple[str, str] | None:
    """After its month has closed (`closes_on`, the month's end plus the close days), a visit
    is entered only by 扶贫办 accepting it as a 补录 with a written reason. Returns the field and
    the message, or None."""
    if today <= closes_on:
        return None
    if not may_accept:
        return "on", _(
            "the month of %(date)s closed on %(closed)s: only 扶贫办 can accept a late entry "
            "(补录) for it, with a reason"
        ) % {"date": on, "closed": closes_on}
    if not reason.strip():
        return "late_reason", _(
            "the month of %(date)s closed on %(closed)s: say why this late entry (补录) is accepted"
        ) % {"date": on, "closed": closes_on}
    return None
