"""Effective-dated rule parameters (art. 44): the value in force on a date.

`in_force(rule, name)` is the one way to read a parameter: it reads the parameter's history
once, and then answers for a day in Python or for each row's date in a query, so that a change
applies from its date on and never rewrites the past.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, Q, Value, When
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from duties.models import RuleParameter
from xigang.memo import once
from xigang.obligations import REGULATION_START
from xigang.periods import HALF_YEARLY, MONTHLY, QUARTERLY, YEARLY, Steps

# The regulation's and docs/design.md's defaults, in force from the regulation's first day.
DEFAULTS: dict[tuple[str, str], int] = {
    ("pairing.home_visit", "months"): 3,
    ("pairing.phone_contact", "months"): 1,
    ("member_change.report", "days"): 30,
    ("problem.resolve", "days"): 30,
    ("problem.resolve", "due_soon_days"): 14,
    ("emergency.aid", "days"): 7,
    ("finding.rectify", "due_soon_days"): 14,
    ("duty.scheduled", "due_soon_days"): 14,
    ("disclosure.post", "days"): 7,
    ("pairing.assigned", "days"): 7,
    # 两不愁三保障 (art. 38): assessed every 12 months, and within change_days of a visit that
    # reports a change; a gap found is closed by its department within the days allowed.
    ("assessment.due", "months"): 12,
    ("assessment.due", "change_days"): 15,
    ("assessment.due", "due_soon_days"): 30,
    ("assessment.gap", "days"): 60,
    ("assessment.gap", "due_soon_days"): 14,
    # Projects and assets (arts. 10, 33, 35): a project's 公示 goes up these days before its
    # start, and within these days after its completion; acceptance within days of completion;
    # an asset's yearly 收益分配 with its 公示 within days after the year's end.
    ("project.notice_start", "days"): 7,
    ("project.notice_start", "due_soon_days"): 14,
    ("project.notice_finish", "days"): 10,
    ("project.notice_finish", "due_soon_days"): 14,
    ("project.acceptance", "days"): 30,
    ("project.acceptance", "due_soon_days"): 14,
    ("asset.distribution", "days"): 90,
    ("asset.distribution", "due_soon_days"): 30,
    # 一户一策 (art. 34): a plan approved within these days of the household's first pairing,
    # reviewed (动态调整) within these days of each year's start, each measure by its due day.
    ("plan.exists", "days"): 60,
    ("plan.exists", "due_soon_days"): 14,
    ("plan.review", "days"): 90,
    ("plan.review", "due_soon_days"): 30,
    ("measure.deliver", "due_soon_days"): 14,
    # A visit entered more than these days after its date is a 补录 (late entry).
    ("pairing.late_entry", "days"): 7,
    # A month closes these days after its end: later visits for it need 扶贫办 (a 补录 accepted).
    ("pairing.period_close", "days"): 10,
    # Overdue more than this many days, an item goes up to the village's 包村干部 (notices/),
    # and more than leader_days to 镇领导.
    ("escalation", "village_days"): 14,
    ("escalation", "leader_days"): 30,
    # 组织科's checks of each 第一书记 (art. 5): 定期调度 monthly, 随机抽查 quarterly.
    ("first_secretary.dispatch", "months"): 1,
    ("first_secretary.dispatch", "due_soon_days"): 14,
    ("first_secretary.spot_check", "months"): 3,
    ("first_secretary.spot_check", "due_soon_days"): 14,
    # 疑点 signals (oversight.signals, art. 41): thresholds an inspector may tune.
    ("signal.copied", "min_chars"): 30,  # shorter texts are stock phrases, not copies
    ("signal.copied", "similarity"): 90,  # percent (rapidfuzz ratio)
    ("signal.burst", "visits"): 8,  # visits entered in one sitting...
    ("signal.burst", "minutes"): 30,  # ...within this many minutes...
    ("signal.burst", "dates"): 4,  # ...for at least this many different days
    ("signal.bunched", "days"): 5,  # a period's last days
    ("signal.bunched", "percent"): 60,  # share of the period's home visits on them
    ("signal.bunched", "visits"): 5,  # fewer home visits in the period tell nothing
    ("signal.after_overdue", "days"): 10,  # entered within this many days after the period
    ("signal.after_overdue", "visits"): 3,  # at least this many such visits
}

# What each parameter name means, for the parameters page; a name not here is shown as it is.
# Names of the parameter groups that are no single rule (a rule's name is its `label`).
GROUP_LABELS: dict[str, Promise] = {
    "signal.copied": _("Signal: copied visit content"),
    "signal.burst": _("Signal: burst of back-filled visits"),
    "signal.bunched": _("Signal: visits bunched on a period's last days"),
    "signal.after_overdue": _("Signal: visits entered after the overdue list"),
}

MEANINGS: dict[str, Promise] = {
    "days": _("days allowed"),
    "months": _("months per period (1 monthly, 3 quarterly, 6 half-yearly, 12 yearly)"),
    "due_soon_days": _("days ahead that an obligation is listed as due soon"),
    "change_days": _("days allowed to re-assess after a visit reports a change"),
    "village_days": _("days overdue after which an item goes up to the village's 包村干部"),
    "leader_days": _("days overdue after which an item goes up to 镇领导"),
    "min_chars": _("shortest visit text compared (characters)"),
    "similarity": _("similarity from which two texts count as copied (percent)"),
    "visits": _("visits needed for a signal"),
    "minutes": _("minutes of one sitting"),
    "dates": _("different visit dates needed in one sitting"),
    "percent": _("share of the period's home visits (percent)"),
}

# A visit frequency ("months") as the calendar period it makes (xigang/periods.py).
PERIOD_KINDS: dict[int, str] = {1: MONTHLY, 3: QUARTERLY, 6: HALF_YEARLY, 12: YEARLY}


@dataclass(frozen=True)
class InForce:
    """A parameter's values over time: (effective_from, value) steps, oldest first. The first
    step also stands for any day before it."""

    steps: tuple[tuple[datetime.date, int], ...]

    def on(self, day: datetime.date) -> int:
        """The value in force on `day`."""
        value = self.steps[0][1]
        for start, step_value in self.steps:
            if start <= day:
                value = step_value
        return value

    def spans(self, field: str) -> list[tuple[Q, int]]:
        """For each step, a filter on the date column `field` selecting the rows whose date is
        under that step, and the step's value."""
        found = []
        for index, (start, value) in enumerate(self.steps):
            span = Q(**{f"{field}__gte": start}) if index else Q()
            if index + 1 < len(self.steps):
                span &= Q(**{f"{field}__lt": self.steps[index + 1][0]})
            found.append((span, value))
        return found

    def due_before(self, field: str, day: datetime.date) -> Q:
        """Rows whose `field` plus the days in force on it falls before `day`: the date sums
        are done here, not in the database."""
        due = Q(pk__in=[])
        for span, days in self.spans(field):
            due |= span & Q(**{f"{field}__lt": day - datetime.timedelta(days=days)})
        return due

    def case(self, field: str) -> Case:
        """An SQL expression: the value in force on each row's `field`."""
        whens = [
            When(Q(**{f"{field}__gte": start}), then=Value(value))
            for start, value in reversed(self.steps[1:])
        ]
        return Case(*whens, default=Value(self.steps[0][1]))


@once
def _table() -> dict[tuple[str, str], list[tuple[datetime.date, int]]]:
    """Every parameter row by (rule, name), oldest first: the table is small, and a page asks
    for most of it."""
    table: dict[tuple[str, str], list[tuple[datetime.date, int]]] = defaultdict(list)
    rows = RuleParameter.objects.order_by("effective_from")
    for rule, name, start, value in rows.values_list("rule", "name", "effective_from", "value"):
        table[(rule, name)].append((start, value))
    return table


def stored(rule: str, names: Iterable[str]) -> dict[str, list[tuple[datetime.date, int]]]:
    """The rows of the rule's parameters `names` as (effective_from, value), oldest first, by
    name (one query; within a page, one for all: `xigang.memo`)."""
    table = _table()
    return {name: list(table.get((rule, name), ())) for name in names}


def in_force(rule: str, name: str) -> InForce:
    """The parameter's steps, the default standing from the regulation's first day (one
    query, see `stored`)."""
    return with_default(rule, name, stored(rule, [name])[name])


def with_default(rule: str, name: str, rows: Iterable[tuple[datetime.date, int]]) -> InForce:
    """The steps of the parameter's rows (oldest first), led by its default when no row
    stands from the regulation's first day."""
    steps = list(rows)
    if not steps or steps[0][0] > REGULATION_START:
        steps.insert(0, (REGULATION_START, DEFAULTS[(rule, name)]))
    return InForce(tuple(steps))


def period_steps(rule: str) -> Steps:
    """A visit rule's calendar: the period kind of its frequency ("months") from each date on
    (one query)."""
    return tuple((start, PERIOD_KINDS[months]) for start, months in in_force(rule, "months").steps)


def due_soon_until(rule: str, as_of: datetime.date) -> datetime.date:
    """The last due day that counts as due soon as of `as_of`: the rule's window in force on
    `as_of` (one query)."""
    return as_of + datetime.timedelta(days=in_force(rule, "due_soon_days").on(as_of))
