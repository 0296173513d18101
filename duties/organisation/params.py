"""Effective-dated rule parameters (art. 44): the value in force on a date."""

import datetime

from django.db.models import Case, Q, Value, When

from duties.models import RuleParameter

# The regulation's and DESIGN.md's defaults, in force from the regulation's first day.
REGULATION_START = datetime.date(2019, 6, 15)
DEFAULTS: dict[tuple[str, str], int] = {
    ("member_change.report", "days"): 30,
    ("problem.resolve", "days"): 30,
    ("emergency.aid", "days"): 7,
    ("disclosure.post", "days"): 7,
}


def schedule(rule: str, name: str) -> list[tuple[datetime.date, int]]:
    """(effective_from, value) pairs, oldest first, the default standing from the start."""
    rows = list(
        RuleParameter.objects.filter(rule=rule, name=name)
        .order_by("effective_from")
        .values_list("effective_from", "value")
    )
    if not rows or rows[0][0] > REGULATION_START:
        rows.insert(0, (REGULATION_START, DEFAULTS[(rule, name)]))
    return rows


def value_on(rule: str, name: str, day: datetime.date) -> int:
    """The parameter in force on `day` (one query)."""
    current = DEFAULTS[(rule, name)]
    for start, value in schedule(rule, name):
        if start <= day:
            current = value
    return current


def days_in_force(rule: str, name: str, date_field: str) -> Case:
    """An SQL expression: the parameter in force on each row's `date_field` (one query to build).

    Used by set-based overdue queries so that a change applies from its date on and never
    rewrites the past."""
    steps = schedule(rule, name)
    whens = [
        When(Q(**{f"{date_field}__gte": start}), then=Value(value))
        for start, value in reversed(steps[1:])
    ]
    return Case(*whens, default=Value(steps[0][1]))
