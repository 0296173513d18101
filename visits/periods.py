"""Calendar periods (quarters and months): pure arithmetic, no query."""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    label: str  # "2026-Q3" or "2026-07"
    start: datetime.date
    end: datetime.date  # the last day, inclusive

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


def _month_end(year: int, month: int) -> datetime.date:
    first_next = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first_next - datetime.timedelta(days=1)


def month_of(day: datetime.date) -> Period:
    return Period(
        f"{day.year}-{day.month:02d}", day.replace(day=1), _month_end(day.year, day.month)
    )


def quarter_of(day: datetime.date) -> Period:
    q = (day.month - 1) // 3 + 1
    first_month = 3 * (q - 1) + 1
    return Period(
        f"{day.year}-Q{q}",
        datetime.date(day.year, first_month, 1),
        _month_end(day.year, first_month + 2),
    )


PERIOD_OF = {"quarter": quarter_of, "month": month_of}


def periods_between(kind: str, since: datetime.date, as_of: datetime.date) -> list[Period]:
    """The periods that start on or after `since` and end before `as_of`, oldest first."""
    of = PERIOD_OF[kind]
    found = []
    period = of(since)
    if period.start < since:
        period = of(period.end + datetime.timedelta(days=1))
    while period.end < as_of:
        found.append(period)
        period = of(period.end + datetime.timedelta(days=1))
    return found
