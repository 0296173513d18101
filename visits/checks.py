"""The rules of what pairing cadres record, one function and one message each, for the services,
the admin and the `visits` ledger alike.

A check is pure: it takes the record's values and what it must be compared with, already read
(for a whole file at once by the ledger), and returns why the record is refused, in the user's
language, or None.
"""

from __future__ import annotations

import datetime
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
