"""What the dashboard reads: the query a page or the JSON asks for, and summaries of the overdue
list that `xigang.obligations` computes. Nothing here decides whether something is overdue; it
only counts and groups the items the engine returned."""

from __future__ import annotations

import datetime
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, overload
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.db.models import Min, Model, Q, QuerySet
from django.utils.translation import gettext as _

from duties.models import Cadre, Department, Village
from households.models import HelpPlan, PlanStep
from oversight.models import Accountability, Commendation, Finding
from visits.models import Visit
from xigang import obligations
from xigang.entry import end_of
from xigang.obligations import Filters, MetLater, OverdueItem, Tally
from xigang.overdue_query import FILTERS, OverdueQueryForm
from xigang.periods import MONTHLY, periods_ending_with
from xigang.scope import visible

# Short Chinese names of the rules for headings and charts (the rule's own `title` is longer).
TREND_MONTHS = 12


class QueryError(ValueError):
    """Parameters the user got wrong; `messages` are in the user's language."""

    def __init__(self, messages: list[str]):
        super().__init__("；".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Query:
    as_of: datetime.date
    since: datetime.date
    filters: Filters = Filters()
    # Only items falling due before this day (the trend's drill-down); None: all.
    due_before: datetime.date | None = None
    # The JSON's (offset, limit); None: the whole list.
    paging: tuple[int, int | None] | None = None

    def params(self, **changes: str | None) -> str:
        """The query string of this query with `changes` applied (None drops a key)."""
        data = {
            "as_of": self.as_of.isoformat(),
            "since": self.since.isoformat(),
            **{key: getattr(self.filters, key) for key in FILTERS},
            "due_before": self.due_before.isoformat() if self.due_before else None,
        }
        data.update(changes)
        return urlencode({k: v for k, v in data.items() if v not in (None, "")})

    def narrowed(self, **filters: Any) -> Query:
        return replace(self, filters=replace(self.filters, **filters))


def parse_query(params: Mapping[str, str], *, today: datetime.date) -> Query:
    """The query behind a page or the JSON, from its GET parameters (validated by the one
    form the `overdue` command uses too); QueryError if bad."""
    form = OverdueQueryForm(params, today=today)
    if not form.is_valid():
        raise QueryError(form.messages())
    data = form.cleaned_data
    return Query(
        as_of=data["as_of"],
        since=data["since"],
        filters=form.filters(),
        due_before=data["due_before"],
        paging=form.paging(),
    )


def _due_before(query: Query, rows: list) -> list:
    """`due_before` narrows items and tallies alike (the trend's drill-down)."""
    if query.due_before is None:
        return rows
    return [row for row in rows if row.due < query.due_before]


def overdue(user: User | AnonymousUser, query: Query) -> list[OverdueItem]:
    """The overdue list of the query, from the one engine."""
    return _due_before(
        query,
        obligations.overdue_items(
            user=user, as_of=query.as_of, since=query.since, filters=query.filters
        ),
    )


def overdue_page(
    user: User | AnonymousUser, query: Query, end: int
) -> tuple[list[OverdueItem], int]:
    """The first `end` items of `overdue` and how many it lists, without building the rest."""
    return obligations.overdue_page(
        user=user,
        as_of=query.as_of,
        since=query.since,
        filters=query.filters,
        end=end,
        due_before=query.due_before,
    )


class OverdueList:
    """The query's overdue list as Django's Paginator reads it (`count()` and slices from the
    start), each read answered by `overdue_page` up to its end: a page is built without the
    rest. The first read reaches `reach` items (the page asked): the count and the page in one
    pass."""

    def __init__(self, user: User | AnonymousUser, query: Query, *, reach: int):
        self._user, self._query, self._reach = user, query, reach
        self._items: list[OverdueItem] | None = None
        self._total = 0

    def _read(self, end: int) -> list[OverdueItem]:
        if self._items is None or (len(self._items) < min(end, self._total)):
            self._items, self._total = overdue_page(self._user, self._query, max(end, self._reach))
        return self._items

    def count(self) -> int:
        self._read(self._reach)
        return self._total

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[OverdueItem]:
        return iter(self._read(self.count()))

    @overload
    def __getitem__(self, index: int) -> OverdueItem: ...
    @overload
    def __getitem__(self, index: slice) -> list[OverdueItem]: ...
    def __getitem__(self, index: int | slice) -> OverdueItem | list[OverdueItem]:
        first, end = (index, index + 1) if isinstance(index, int) else (index.start, index.stop)
        if (first or 0) < 0 or end is None or end < 0:
            raise IndexError("the list is read from its start, up to a given end")
        return self._read(end)[index]


def tallies(user: User | AnonymousUser, query: Query) -> list[Tally]:
    """The same list counted (the whole-town summaries), from the one engine."""
    return _due_before(
        query,
        obligations.overdue_tallies(
            user=user, as_of=query.as_of, since=query.since, filters=query.filters
        ),
    )


# --- summaries of one overdue list, counted (pure Python, no query) -----------------------


@dataclass(frozen=True)
class Count:
    key: str  # the filter value behind the number
    label: str
    count: int


def total(tallies: Iterable[Tally]) -> int:
    return sum(t.count for t in tallies)


def by_rule(tallies: Iterable[Tally]) -> list[Count]:
    """Every rule in the dashboard's order, with its count (zeros kept: a rule with nothing late
    is news too)."""
    counts: Counter[str] = Counter()
    for t in tallies:
        counts[t.rule] += t.count
    return [
        Count(r.id, obligations.rule_label(r.id), counts.get(r.id, 0)) for r in obligations.rules()
    ]


def by_article(tallies: Iterable[Tally]) -> list[Count]:
    counts: Counter[int] = Counter()
    for t in tallies:
        counts[t.article] += t.count
    return [
        Count(str(article), _("Art. %(n)d") % {"n": article}, n)
        for article, n in sorted(counts.items())
    ]


def ranking(tallies: Iterable[Tally], key: str, label_key: str | None = None) -> list[Count]:
    """Counts per village, department or cadre, worst first (ties by name)."""
    counts: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for t in tallies:
        value = getattr(t, key)
        if value is None:
            continue
        counts[value] += t.count
        if label_key and getattr(t, label_key):
            labels[value] = getattr(t, label_key)
    return [
        Count(value, labels.get(value, value), n)
        for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def tallies_and_met_later(
    user: User | AnonymousUser, query: Query
) -> tuple[list[Tally], list[MetLater]]:
    """`tallies` and `met_later` at once, for the whole town's page (from the one engine)."""
    found, later = obligations.tallies_and_met_later(
        user=user, as_of=query.as_of, since=query.since, filters=query.filters
    )
    return _due_before(query, found), _due_before(query, later)


def met_by_late_entry(user: User | AnonymousUser, query: Query) -> tuple[list[Count], list[Count]]:
    """The 补录 visits (`Visit.late_entry`) dated in the query's span and entered by its as-of
    date, counted per village and per cadre, most first: two queries."""
    visits = visible(
        user,
        Visit.objects.filter(
            late_entry=True,
            on__gte=query.since,
            on__lte=query.as_of,
            created_at__lt=end_of(query.as_of),
        ),
    )
    if query.filters.village:
        visits = visits.filter(household__village__name=query.filters.village)
    if query.filters.cadre:
        visits = visits.filter(cadre__user__username=query.filters.cadre)
    by_village = visits.values_list("household__village__name").annotate(n=models.Count("pk"))
    by_cadre = visits.values_list("cadre__user__username", "cadre__name").annotate(
        n=models.Count("pk")
    )
    return (
        _most_first(Count(name, name, n) for name, n in by_village.order_by()),
        _most_first(Count(username, name, n) for username, name, n in by_cadre.order_by()),
    )


def _most_first(counts: Iterable[Count]) -> list[Count]:
    return sorted(counts, key=lambda c: (-c.count, c.key))


def trend(
    tallies: Iterable[Tally], as_of: datetime.date, met_later: Iterable[MetLater] = ()
) -> list[tuple[str, datetime.date, int]]:
    """(month label, month-end as-of, count) for the 12 months ending with as_of's month.

    One overdue list (as of `as_of`) is bucketed by due date: a month's count is the items of that
    list already overdue on the month's last day (due before it; the current month: as of
    `as_of`). The items that left the list since, closed by a late entry (`met_later`, every
    rule's), count on every month-end between their due day and the day of that entry, as the
    list as of that day showed them: a late closure never rewrites a month-end. This keeps the
    dashboard to one engine call per rule whatever the span."""
    later = list(met_later)
    per_day: Counter[datetime.date] = Counter()
    for t in tallies:
        per_day[t.due] += t.count
    dues = sorted(per_day)
    before = [0]  # before[i]: the items due before dues[i]
    for day in dues:
        before.append(before[-1] + per_day[day])
    result = []
    for month in periods_ending_with(MONTHLY, as_of, TREND_MONTHS):
        cut = min(month.end, as_of)
        corrected = sum(m.correction(cut) for m in later)
        result.append((month.label, cut, before[bisect_left(dues, cut)] + corrected))
    return result


def flow(
    tallies: Iterable[Tally], as_of: datetime.date, met_later: Iterable[MetLater] = ()
) -> list[tuple[str, int, int]]:
    """(month label, opened, closed) for the months of `trend`, so that each month-end's count is
    the one before plus opened minus closed. Opened: items that fell overdue in the month (due on
    or after the previous month-end, before this one), those still on the list and those
    closed since by a late entry; an item entered after its due day, in the month it was
    entered. Closed: those whose late closure was entered in the month."""
    later = list(met_later)
    per_day: Counter[datetime.date] = Counter()
    for t in tallies:
        per_day[t.due] += t.count
    closing: Counter[datetime.date] = Counter()
    for m in later:
        if m.met_on is None:  # on today's list, counted from its due day: moved to its first
            per_day[m.due] -= m.count
            per_day[m.opened_on()] += m.count
        elif m.listed_from is None or m.listed_from < m.met_on:  # listed once, closed since
            per_day[m.opened_on()] += m.count
            closing[m.met_on] += m.count
    months = periods_ending_with(MONTHLY, as_of, TREND_MONTHS + 1)
    cuts = [min(month.end, as_of) for month in months]
    return [
        (
            month.label,
            sum(n for day, n in per_day.items() if previous <= day < cut),
            sum(n for day, n in closing.items() if previous < day <= cut),
        )
        for month, previous, cut in zip(months[1:], cuts, cuts[1:], strict=False)
    ]


@dataclass
class HouseholdItems:
    household: str
    village: str | None
    overdue: list[OverdueItem]
    pending: list[OverdueItem]
    # The quick-entry link, set by the view for households its user may visit.
    visit_url: str | None = None


def by_household(
    overdue_list: list[OverdueItem], pending_list: list[OverdueItem]
) -> tuple[list[HouseholdItems], list[OverdueItem], list[OverdueItem]]:
    """Items about a household grouped by household (worst first), and the rest (unit items:
    duties, notices, findings), overdue and pending."""
    groups: dict[str, HouseholdItems] = {}
    rest_overdue, rest_pending = [], []
    for item in overdue_list:
        if item.household is None:
            rest_overdue.append(item)
        else:
            groups.setdefault(
                item.household, HouseholdItems(item.household, item.village, [], [])
            ).overdue.append(item)
    for item in pending_list:
        if item.household is None:
            rest_pending.append(item)
        else:
            groups.setdefault(
                item.household, HouseholdItems(item.household, item.village, [], [])
            ).pending.append(item)
    ordered = sorted(
        groups.values(),
        key=lambda g: (
            -max((i.days_overdue for i in g.overdue), default=-1),
            -len(g.overdue),
            g.household,
        ),
    )
    return ordered, rest_overdue, rest_pending


# --- a department's desk: its duties, the problems routed to it, its cadres summarised ----------


def is_pairing_item(item: OverdueItem) -> bool:
    """An item owed by a pairing cadre to a paired household (art. 39's visits and calls)."""
    return item.rule.startswith("pairing.")


@dataclass
class CadreSummary:
    cadre: str  # the user name, the list's `cadre` filter
    name: str
    department: str | None
    overdue: int = 0
    pending: int = 0
    households: set[str] = field(default_factory=set)
    worst: int = 0  # the most days any item is late
    url: str | None = None  # set by the view: the list narrowed to this cadre


def by_cadre(
    overdue_list: Iterable[OverdueItem], pending_list: Iterable[OverdueItem]
) -> list[CadreSummary]:
    """Pairing items counted per cadre (overdue, due soon, households), worst first: a desk
    reads hundreds of cadres' items as one line each, not as one card per household."""
    summaries: dict[str, CadreSummary] = {}

    def summary(item: OverdueItem) -> CadreSummary | None:
        if item.cadre is None:
            return None
        found = summaries.get(item.cadre)
        if found is None:
            found = summaries[item.cadre] = CadreSummary(
                item.cadre, item.cadre_name or item.cadre, item.department
            )
        return found

    for item in overdue_list:
        if (row := summary(item)) is not None:
            row.overdue += 1
            row.worst = max(row.worst, item.days_overdue)
            if item.household:
                row.households.add(item.household)
    for item in pending_list:
        if (row := summary(item)) is not None:
            row.pending += 1
    return sorted(summaries.values(), key=lambda s: (-s.overdue, -s.worst, s.cadre))


# --- names typed into the filters: scoped suggestions, a cadre's name to their user name -------

SUGGESTIONS = 20


def cadres_in_scope(user: User | AnonymousUser) -> QuerySet:
    return visible(user, Cadre.objects.select_related("user", "department", "village"))


def suggestions(user: User | AnonymousUser, kind: str, text: str) -> list[tuple[str, str]]:
    """(value for the filter, label) of the cadres, villages or departments in the user's scope
    whose name contains `text`; one query. A cadre's value is their name, or their user name
    when another cadre in scope has the same name."""
    text = text.strip()[:50]
    if not text:
        return []
    if kind == "cadre":
        found = list(
            cadres_in_scope(user)
            .filter(Q(name__icontains=text) | Q(user__username__icontains=text))
            .order_by("name", "user__username")[: SUGGESTIONS + 1]
        )[:SUGGESTIONS]
        names = Counter(c.name for c in found)
        return [
            (
                c.name if names[c.name] == 1 else c.user.username,
                f"{c.name}（{c.department or c.village or c.user.username}）",
            )
            for c in found
        ]
    units: dict[str, QuerySet] = {
        "village": Village.objects.all(),
        "department": Department.objects.all(),
    }
    if kind not in units:
        return []
    rows = visible(user, units[kind].filter(name__icontains=text).order_by("name"))
    return [(name, name) for name in rows.values_list("name", flat=True)[:SUGGESTIONS]]


def cadre_username(user: User | AnonymousUser, text: str) -> str:
    """The user name behind a cadre filter typed as a user name or as the name of one cadre in
    the user's scope (one query); otherwise `text` unchanged (it then matches nothing)."""
    rows = list(
        cadres_in_scope(user)
        .filter(Q(user__username=text) | Q(name=text))
        .values_list("user__username", "name")[:3]
    )
    by_username = [u for u, _name in rows if u == text]
    if by_username:
        return by_username[0]
    return rows[0][0] if len(rows) == 1 else text


PERSON_RECORDS = 100


def person_record(user: User | AnonymousUser, cadre: Cadre) -> dict[str, list]:
    """The oversight records about one cadre that the user may read: findings (with their
    rectification), accountability measures, commendations; three queries, the latest hundred
    of each."""

    def rows(model: type[Model], *related: str) -> list:
        found = visible(user, model._default_manager.filter(cadre=cadre).select_related(*related))
        return list(found[:PERSON_RECORDS])

    return {
        "findings": rows(Finding, "inspection", "article"),
        "measures": rows(Accountability, "finding"),
        "commendations": rows(Commendation),
    }


def pending_plans(user: User | AnonymousUser) -> QuerySet:
    """Help plans in scope reviewed by their village (村级审核) and not yet approved by the
    town, oldest year first."""
    return visible(
        user,
        HelpPlan.objects.filter(approved_on__isnull=True, steps__step=PlanStep.Step.VILLAGE)
        .select_related("household__village")
        .annotate(village_reviewed_on=Min("steps__done_on")),
    ).order_by("year", "household__number")


def pending_commendations(user: User | AnonymousUser) -> QuerySet:
    """Commendations in scope proposed and not yet approved, oldest first."""
    return visible(
        user,
        Commendation.objects.filter(approved_at__isnull=True).select_related(
            "department", "village", "cadre__user"
        ),
    ).order_by("awarded_on", "id")
