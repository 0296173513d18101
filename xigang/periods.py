"""Calendar periods (months, quarters, half-years, years): pure calendar arithmetic, no query.

A period comes from the calendar, never from a count of days. Kinds are named like the duty
schedules' frequencies: "monthly", "quarterly", "half-yearly", "yearly". Labels: `2026-07`,
`2026-Q3`, `2026-H2`, `2026`.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import takewhile

MONTHLY, QUARTERLY, HALF_YEARLY, YEARLY = "monthly", "quarterly", "half-yearly", "yearly"
ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime.date
    end: datetime.date  # the last day, inclusive

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


def month_end(year: int, month: int) -> datetime.date:
    """The last day of the month."""
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def years_after(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later (earlier if negative); 29 February becomes the 28th in a year
    that has none."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _months(label: str, year: int, first: int, count: int) -> Period:
    """The period of `count` months from month `first` of `year`."""
    last = first + count - 1
    return Period(label, datetime.date(year, first, 1), month_end(year, last))


def period_of(kind: str, day: datetime.date) -> Period:
    """The period of `kind` that contains `day`."""
    y, m = day.year, day.month
    if kind == MONTHLY:
        return _months(f"{y}-{m:02d}", y, m, 1)
    if kind == QUARTERLY:
        q = (m - 1) // 3 + 1
        return _months(f"{y}-Q{q}", y, 3 * q - 2, 3)
    if kind == HALF_YEARLY:
        h = 1 if m <= 6 else 2
        return _months(f"{y}-H{h}", y, 6 * h - 5, 6)
    if kind == YEARLY:
        return _months(str(y), y, 1, 12)
    raise ValueError(f"no calendar period of kind {kind!r}")


def periods_from(kind: str, first: datetime.date) -> Iterator[Period]:
    """The periods of `kind` one after another, from the first that starts on or after `first`;
    endless: the caller stops."""
    period = period_of(kind, first)
    if period.start < first:
        period = period_of(kind, period.end + ONE_DAY)
    while True:
        yield period
        period = period_of(kind, period.end + ONE_DAY)


def periods_between(kind: str, since: datetime.date, as_of: datetime.date) -> list[Period]:
    """The periods that start on or after `since` and end before `as_of`, oldest first."""
    return list(takewhile(lambda period: period.end < as_of, periods_from(kind, since)))


def periods_overlapping(kind: str, first: datetime.date, last: datetime.date) -> list[Period]:
    """The periods of `kind` that hold at least one day from `first` to `last`, oldest first."""
    start = period_of(kind, first).start
    return list(takewhile(lambda period: period.start <= last, periods_from(kind, start)))


def periods_ending_with(kind: str, day: datetime.date, count: int) -> list[Period]:
    """The `count` periods of `kind` up to and including the one containing `day`, oldest
    first."""
    found: list[Period] = []
    while len(found) < count:
        found.append(period_of(kind, found[-1].start - ONE_DAY if found else day))
    return found[::-1]


# A calendar whose kind changes on given days (art. 44: a visit frequency changed from a date):
# (first day, kind) steps, oldest first; the first kind also stands for any day before its step.
# Each step's first day starts a period of its kind and of the kind before it (the writer checks
# it, `starts_period`), so the periods of the steps follow one another without gap or overlap.
Steps = tuple[tuple[datetime.date, str], ...]


def starts_period(kind: str, day: datetime.date) -> bool:
    """Whether `day` is the first day of a period of `kind`."""
    return period_of(kind, day).start == day


def kind_on(steps: Steps, day: datetime.date) -> str:
    """The kind in force on `day`."""
    kind = steps[0][1]
    for start, step_kind in steps:
        if start <= day:
            kind = step_kind
    return kind


def stepped_period_of(steps: Steps, day: datetime.date) -> Period:
    """The period in force that contains `day`."""
    return period_of(kind_on(steps, day), day)


def stepped_periods_between(
    steps: Steps, since: datetime.date, as_of: datetime.date
) -> list[Period]:
    """Like `periods_between` for a calendar whose kind changes: each period is of the kind in
    force on its first day."""
    period = stepped_period_of(steps, since)
    if period.start < since:
        period = stepped_period_of(steps, period.end + ONE_DAY)
    found: list[Period] = []
    while period.end < as_of:
        found.append(period)
        period = stepped_period_of(steps, period.end + ONE_DAY)
    return found
