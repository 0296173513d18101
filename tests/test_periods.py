"""xigang.periods: calendar periods from the calendar, at their boundaries (no database)."""

import datetime

import pytest

from xigang.periods import (
    HALF_YEARLY,
    MONTHLY,
    QUARTERLY,
    YEARLY,
    Period,
    month_end,
    period_of,
    periods_between,
    periods_ending_with,
    periods_from,
    periods_overlapping,
)

D = datetime.date


def labels(periods):
    return [p.label for p in periods]


def test_calendar_periods_come_from_the_calendar():
    # Moved from tests/schedules/test_generation.py with the periods themselves.
    assert period_of(QUARTERLY, D(2026, 8, 15)) == Period("2026-Q3", D(2026, 7, 1), D(2026, 9, 30))
    assert period_of(MONTHLY, D(2028, 2, 10)) == Period("2028-02", D(2028, 2, 1), D(2028, 2, 29))
    assert period_of(HALF_YEARLY, D(2026, 7, 1)).label == "2026-H2"
    assert period_of(YEARLY, D(2026, 7, 1)).end == D(2026, 12, 31)


def test_the_duty_schedules_frequencies_are_kinds_of_period():
    from duties.models import DutySchedule

    calendar = set(DutySchedule.Frequency) - {"once", "on-event"}
    assert {period_of(kind, D(2026, 5, 5)).start for kind in calendar} == {
        D(2026, 5, 1),
        D(2026, 4, 1),
        D(2026, 1, 1),
    }


@pytest.mark.parametrize(
    "year, end",
    [
        (2024, D(2024, 2, 29)),
        (2026, D(2026, 2, 28)),
        (2000, D(2000, 2, 29)),
        (2100, D(2100, 2, 28)),
    ],
)
def test_february_ends_on_the_leap_day_of_leap_years(year, end):
    assert month_end(year, 2) == end
    assert period_of(MONTHLY, D(year, 2, 1)).end == end
    assert period_of(QUARTERLY, D(year, 2, 1)) == Period(
        f"{year}-Q1", D(year, 1, 1), D(year, 3, 31)
    )


@pytest.mark.parametrize(
    "kind, day, label, start, end",
    [
        (MONTHLY, D(2026, 12, 31), "2026-12", D(2026, 12, 1), D(2026, 12, 31)),
        (MONTHLY, D(2027, 1, 1), "2027-01", D(2027, 1, 1), D(2027, 1, 31)),
        (QUARTERLY, D(2026, 12, 31), "2026-Q4", D(2026, 10, 1), D(2026, 12, 31)),
        (QUARTERLY, D(2027, 1, 1), "2027-Q1", D(2027, 1, 1), D(2027, 3, 31)),
        (QUARTERLY, D(2026, 6, 30), "2026-Q2", D(2026, 4, 1), D(2026, 6, 30)),
        (QUARTERLY, D(2026, 7, 1), "2026-Q3", D(2026, 7, 1), D(2026, 9, 30)),
        (HALF_YEARLY, D(2026, 6, 30), "2026-H1", D(2026, 1, 1), D(2026, 6, 30)),
        (HALF_YEARLY, D(2026, 12, 31), "2026-H2", D(2026, 7, 1), D(2026, 12, 31)),
        (YEARLY, D(2026, 12, 31), "2026", D(2026, 1, 1), D(2026, 12, 31)),
        (YEARLY, D(2024, 2, 29), "2024", D(2024, 1, 1), D(2024, 12, 31)),
    ],
)
def test_the_period_containing_a_day_at_the_year_and_quarter_ends(kind, day, label, start, end):
    period = period_of(kind, day)
    assert period == Period(label, start, end)
    assert day in period
    assert period.start - datetime.timedelta(days=1) not in period
    assert period.end + datetime.timedelta(days=1) not in period


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        period_of("weekly", D(2026, 1, 1))


def test_a_range_starting_mid_period_begins_with_the_next_whole_period():
    # Started inside 2026-Q1 (and inside February): the first period listed starts after it.
    assert labels(periods_between(QUARTERLY, D(2026, 2, 14), D(2026, 11, 29))) == [
        "2026-Q2",
        "2026-Q3",
    ]
    assert labels(periods_between(MONTHLY, D(2026, 2, 14), D(2026, 6, 1))) == [
        "2026-03",
        "2026-04",
        "2026-05",
    ]
    # Starting on a period's first day includes it.
    assert labels(periods_between(QUARTERLY, D(2026, 1, 1), D(2026, 4, 1))) == ["2026-Q1"]


def test_a_period_ends_before_the_as_of_date_or_is_not_listed():
    # as_of on the quarter's last day: it has not ended yet; the day after: it has.
    assert labels(periods_between(QUARTERLY, D(2026, 1, 1), D(2026, 3, 31))) == []
    assert labels(periods_between(QUARTERLY, D(2026, 1, 1), D(2026, 4, 1))) == ["2026-Q1"]
    assert periods_between(MONTHLY, D(2026, 5, 1), D(2026, 4, 1)) == []


def test_ranges_cross_year_ends_and_leap_days():
    assert labels(periods_between(MONTHLY, D(2023, 11, 1), D(2024, 3, 1))) == [
        "2023-11",
        "2023-12",
        "2024-01",
        "2024-02",
    ]
    assert periods_between(MONTHLY, D(2024, 2, 1), D(2024, 3, 1))[0].end == D(2024, 2, 29)
    assert labels(periods_between(YEARLY, D(2019, 6, 15), D(2023, 1, 1))) == [
        "2020",
        "2021",
        "2022",
    ]
    assert labels(periods_between(HALF_YEARLY, D(2025, 7, 1), D(2027, 1, 1))) == [
        "2025-H2",
        "2026-H1",
        "2026-H2",
    ]


def test_periods_follow_one_another_without_gap():
    found = []
    for period in periods_from(MONTHLY, D(2023, 12, 2)):
        found.append(period)
        if len(found) == 15:
            break
    assert found[0].label == "2024-01"
    for before, after in zip(found, found[1:], strict=False):
        assert after.start == before.end + datetime.timedelta(days=1)


def test_periods_overlapping_a_range_include_the_partial_ones():
    assert labels(periods_overlapping(QUARTERLY, D(2025, 11, 20), D(2026, 4, 1))) == [
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
    ]
    assert labels(periods_overlapping(MONTHLY, D(2026, 3, 31), D(2026, 3, 31))) == ["2026-03"]


def test_the_periods_ending_with_a_day():
    assert labels(periods_ending_with(MONTHLY, D(2026, 2, 10), 4)) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert labels(periods_ending_with(QUARTERLY, D(2026, 1, 1), 2)) == ["2025-Q4", "2026-Q1"]
    assert periods_ending_with(MONTHLY, D(2026, 2, 10), 0) == []
