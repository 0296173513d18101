"""The common shape of an overdue obligation, and the one function that lists them.

Each app answers for its own rules in its `rules.py`: a `Rule`, registered with `@register`,
whose `overdue(...)` returns `OverdueItem`s for an as-of date within a user's scope, set-based
(a fixed number of queries whatever the data size). The dashboard, the JSON endpoint, exports
and the `overdue` command all call `overdue_items` (a page of it alone: `overdue_page`);
nothing else computes "overdue".
"""

from __future__ import annotations

import datetime
import heapq
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, DateField, Expression, Q, QuerySet, Value
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.timezone import localtime
from django.utils.translation import get_language

from xigang import kept, memo
from xigang.entry import go_live
from xigang.scope import Scope, scope_of

# 西发〔2019〕33号 is in force from this day: nothing is owed before it.
REGULATION_START = datetime.date(2019, 6, 15)


@dataclass(frozen=True)
class Filters:
    """Narrowing asked for by the user (names, as in the command's and JSON's parameters)."""

    village: str | None = None
    department: str | None = None
    cadre: str | None = None  # username
    rule: str | None = None
    article: int | None = None


NO_FILTERS = Filters()  # immutable, so one shared default serves every call


# Not frozen (nobody changes an item): a frozen dataclass sets each field through __setattr__.
@dataclass(slots=True)
class OverdueItem:
    rule: str
    article: int
    period: str  # "2026-Q3", "2026-07", or the day an event's clock started
    period_start: datetime.date
    period_end: datetime.date
    due: datetime.date
    days_overdue: int
    household: str | None  # 户编号
    village: str | None
    cadre: str | None  # username
    department: str | None
    subject: str  # what is owed, in the user's language
    cadre_name: str | None = None
    link: str | None = None
    # When the record behind the item was entered (set by the server), and whether that entry
    # was late (a 补录): what inspectors weigh beside the typed dates.
    entered_at: datetime.datetime | None = None
    late_entry: bool = False

    def as_json(self) -> dict[str, Any]:
        """docs/design.md's item: these fourteen keys, dates as YYYY-MM-DD, the entry time in
        ISO 8601 with its offset, absent parts as None.
        Written out key by key: faster than dataclasses.asdict (it deep-copies) or a loop."""
        return {
            "rule": self.rule,
            "article": self.article,
            "period": self.period,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "due": self.due.isoformat(),
            "days_overdue": self.days_overdue,
            "household": self.household,
            "village": self.village,
            "cadre": self.cadre,
            "department": self.department,
            "subject": self.subject,
            "entered_at": localtime(self.entered_at).isoformat() if self.entered_at else None,
            "late_entry": self.late_entry,
        }


@dataclass(slots=True)  # not frozen, like OverdueItem: a county counts some 80,000 of them
class Tally:
    """How many overdue items share everything the dashboard counts them by (rule, article, due
    day, village, department, cadre): the whole-town summaries need these counts, not the items."""

    rule: str
    article: int
    due: datetime.date
    village: str | None
    department: str | None
    cadre: str | None
    cadre_name: str | None
    count: int


@dataclass(frozen=True, slots=True)
class MetLater:
    """A correction of today's list toward what the lists as of past days showed: `count`
    items of `rule` due on `due`, listed as of the days after `due` from `listed_from` (None:
    from the day after `due`) until `met_on`, when a late entry closed them (None: still on
    today's list). Closed late (a 补录, a resolution entered late): the trend adds them back
    until `met_on`; entered late (a problem or a report known only after its due day): the
    trend leaves them out before `listed_from`. So a late entry never rewrites a month-end."""

    rule: str
    due: datetime.date
    met_on: datetime.date | None
    count: int
    listed_from: datetime.date | None = None

    def listed_on(self, day: datetime.date) -> bool:
        """Whether the lists as of `day` showed these items (pure arithmetic)."""
        return (
            self.due < day
            and (self.listed_from is None or self.listed_from <= day)
            and (self.met_on is None or day < self.met_on)
        )

    def correction(self, day: datetime.date) -> int:
        """What the list as of `day` showed of these items, less what today's list counts of
        them on that day (it counts those still listed from their due day on)."""
        today = self.met_on is None and self.due < day
        return self.count * (self.listed_on(day) - today)

    def opened_on(self) -> datetime.date:
        """The last day before they were first listed: what the flow counts them opened by."""
        first = self.listed_from or self.due
        return max(self.due, first - datetime.timedelta(days=1))


def was_overdue_until(
    due: datetime.date, met_on: datetime.date, known_on: datetime.date | None
) -> bool:
    """Whether an item due on `due`, known from `known_on` (None: always) and met on `met_on`
    was on the list as of every day from the day after `due` until `met_on` (pure arithmetic):
    known by then, and met later than the day after its due day."""
    first_late = due + datetime.timedelta(days=1)
    return met_on > first_late and (known_on is None or known_on <= first_late)


def closed_late(
    rule: str,
    records: QuerySet,
    *,
    clock: str,
    closed: Expression,
    known: Expression | None = None,
    as_of: datetime.date,
    due_of: Callable[[datetime.date], datetime.date] | None = None,
) -> list[MetLater]:
    """The `MetLater` of a rule of one record per item (a problem, a finding, a duty, ...), in
    one grouped query: those closed after the day after their due day, and those entered after
    it. `records` are the rule's records in the user's scope under its filters (open or not),
    `clock` the date column the due day is (or follows from, by `due_of`), `closed` the SQL day
    the closure counts from (`xigang.entry.counts_from`), `known` the SQL day the record is
    known from (`xigang.entry.known_from`; None: always)."""
    records = records.annotate(
        late_met_on=closed,
        late_known_on=known if known is not None else Value(None, DateField()),
    )
    if known is None:  # always known: only the closed ones can need a correction
        records = records.filter(late_met_on__isnull=False)
    rows = (
        records.order_by()
        .values_list(clock, "late_known_on", "late_met_on")
        .annotate(n=Count("pk"))
    )
    found = []
    for day, known_on, met_on, n in rows:
        due = due_of(day) if due_of else day
        first_late = due + datetime.timedelta(days=1)
        if due >= as_of or (known_on is not None and known_on > as_of):
            continue  # not on any list up to as_of
        met = met_on if met_on is not None and met_on <= as_of else None
        late_known = known_on is not None and known_on > first_late
        if (met is None or met > first_late) and (late_known or met is not None):
            listed_from = known_on if late_known else None
            found.append(MetLater(rule, due, met, n, listed_from))
    return found


def met_later_of(rule: str, counts: Counter[tuple[datetime.date, datetime.date]]) -> list[MetLater]:
    """The `MetLater` of counts by (due day, day met)."""
    return [MetLater(rule, due, met_on, n) for (due, met_on), n in sorted(counts.items())]


TALLY_FIELDS = ("rule", "article", "due", "village", "department", "cadre", "cadre_name")


def tally(items: Iterable[OverdueItem]) -> list[Tally]:
    """The tallies of a list of items."""
    counts = Counter(tuple(getattr(item, key) for key in TALLY_FIELDS) for item in items)
    return [
        Tally(**dict(zip(TALLY_FIELDS, key, strict=True)), count=n) for key, n in counts.items()
    ]


# Column headers of the list as a text or Excel report, shared by the `overdue` command and the
# dashboard's export (headers are Chinese data, like a 台账's).
REPORT_COLUMNS = [
    ("rule", "规则"),
    ("article", "条款"),
    ("period", "期间"),
    ("period_start", "开始日期"),
    ("period_end", "结束日期"),
    ("due", "应完成日期"),
    ("days_overdue", "逾期天数"),
    ("household", "户编号"),
    ("village", "村"),
    ("cadre", "帮扶责任人"),
    ("department", "部门"),
    ("entered_at", "录入时间"),
    ("late_entry", "补录"),
    ("subject", "事项"),  # last: the longest text
]
REPORT_HEADERS = [header for _key, header in REPORT_COLUMNS]


def report_row(item: OverdueItem) -> list:
    data = item.as_json()
    data["late_entry"] = "是" if item.late_entry else None  # a mark a reader sees, not False
    return ["" if data[key] is None else data[key] for key, _header in REPORT_COLUMNS]


# The list as an Excel sheet people work with: the rule by name (the caller's: the dashboard has
# the short names), dates as dates, the cadre's name beside the user name; otherwise the report's
# columns, in their order.
_SHEET_DATES = ("period_start", "period_end", "due")
SHEET_HEADERS = [
    h for key, header in REPORT_COLUMNS for h in (header, *(("帮扶责任人姓名",) * (key == "cadre")))
]


def sheet_row(item: OverdueItem, rule_name: Callable[[str], str] = str) -> list:
    row: list = []
    for (key, _header), value in zip(REPORT_COLUMNS, report_row(item), strict=True):
        if key == "rule":
            value = rule_name(item.rule)
        elif key in _SHEET_DATES:
            value = getattr(item, key)
        row.append(value)
        if key == "cadre":
            row.append(item.cadre_name)
    return row


class Rule:
    """An obligation rule. Subclasses set the class attributes and implement `overdue`."""

    id: ClassVar[str]
    article: ClassVar[int]
    title: ClassVar[str]
    label: ClassVar[str | Promise]  # the short name users read on lists, filters and exports

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> Iterable[OverdueItem]:
        raise NotImplementedError

    def tallies(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[Tally]:
        """The overdue items counted (the same items as `overdue`); a rule with many items may
        count them in the database instead of building each one."""
        return tally(self.overdue(user=user, as_of=as_of, since=since, filters=filters))

    def first(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
        limit: int,
        due_before: datetime.date | None,
    ) -> tuple[list[OverdueItem], int]:
        """The rule's first `limit` items in the list's order (`sort_key`, ties as `overdue`
        gives them) and how many it has, only those due before `due_before` if given; a rule
        with many items may answer both in the database instead of building each one."""
        items = sorted(
            self.overdue(user=user, as_of=as_of, since=since, filters=filters), key=sort_key
        )
        if due_before is not None:
            items = [item for item in items if item.due < due_before]
        return items[:limit], len(items)

    def met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[MetLater]:
        """Items overdue at some day before `as_of` and met since by a late entry (`MetLater`):
        what leaves the list when met late. None for a rule whose late items stay listed."""
        return []

    def tallies_and_met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> tuple[list[Tally], list[MetLater]]:
        """`tallies` and `met_later` together: a rule that works in Python over the same rows
        for both reads them once."""
        return (
            self.tallies(user=user, as_of=as_of, since=since, filters=filters),
            self.met_later(user=user, as_of=as_of, since=since, filters=filters),
        )

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> Iterable[OverdueItem]:
        """Obligations not yet late that fall due soon (within the rule's dated window, or in
        the current period); none by default."""
        return []


class RoutedRecordRule(Rule):
    """A record routed to a department, to be closed by its `due` day (a problem, a gap, a
    measure): overdue = known, open at the end of as_of and due before it; pending = open and
    due within the rule's due-soon window; met later = closed by an entry made after the day
    after its due day (`closed_late`). Subclasses give the records and how they close."""

    since_field: ClassVar[str]  # the date column a report's `since` keeps from
    started_field: ClassVar[str | None] = None  # a record not started by as_of is not pending

    def scoped(self, user: User | AnonymousUser, filters: Filters) -> QuerySet:
        """The rule's records in the user's scope under the filters, open or closed."""
        raise NotImplementedError

    def open_q(self, as_of: datetime.date) -> Q:
        """Known and not closed as of the end of `as_of`."""
        raise NotImplementedError

    def closed_from(self) -> Expression:
        """SQL: the day a record's closure counts from (NULL while open)."""
        raise NotImplementedError

    def known_from(self) -> Expression | None:
        """SQL: the day a record is known from (None: always known)."""
        return None

    def due_soon_until(self, as_of: datetime.date) -> datetime.date:
        raise NotImplementedError

    def items(self, records: QuerySet, as_of: datetime.date, *, pending: bool) -> list[OverdueItem]:
        raise NotImplementedError

    def _since(self, since: datetime.date) -> Q:
        return Q(**{f"{self.since_field}__gte": since})

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[OverdueItem]:
        records = self.overdue_records(user=user, as_of=as_of, since=since, filters=filters)
        return self.items(records.order_by("due", "id"), as_of, pending=False)

    def overdue_records(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> QuerySet:
        """The records behind `overdue`: known, open at the end of as_of, due before it."""
        return self.scoped(user, filters).filter(
            self.open_q(as_of), self._since(since), due__lt=as_of
        )

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> list[OverdueItem]:
        records = self.scoped(user, filters).filter(
            self.open_q(as_of), due__gte=as_of, due__lte=self.due_soon_until(as_of)
        )
        if self.started_field:
            records = records.filter(**{f"{self.started_field}__lte": as_of})
        return self.items(records.order_by("due", "id"), as_of, pending=True)

    def met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[MetLater]:
        records = self.scoped(user, filters).filter(self._since(since), due__lt=as_of)
        return closed_late(
            self.id,
            records,
            clock="due",
            closed=self.closed_from(),
            known=self.known_from(),
            as_of=as_of,
        )


# rule id -> (dashboard position, rule class), filled by the apps' `rules.py` through `register`.
_RULES: dict[str, tuple[int, type[Rule]]] = {}


def register(*, order: int) -> Callable[[type[Rule]], type[Rule]]:
    """Class decorator for an app's rule; `order` is its place on the dashboard (lowest first)."""

    def add(rule: type[Rule]) -> type[Rule]:
        known = _RULES.get(rule.id)
        if known is not None and known[1] is not rule:
            raise ImproperlyConfigured(f"two rules have the id {rule.id}")
        _RULES[rule.id] = (order, rule)
        return rule

    return add


# The stored obligation states (issue 18): an app that keeps its rules' answers instead of
# recomputing them registers the one function that brings them up to date (for household ids,
# or None: all) and the check that compares them with a recomputation ({rule: differences}).
Refresh = Callable[[list[int] | None], None]
Check = Callable[[bool], dict[str, int]]
_STATES: list[tuple[Refresh, Check]] = []


def register_state(*, refresh: Refresh, check: Check) -> None:
    if (refresh, check) not in _STATES:
        _STATES.append((refresh, check))


def state_refresh(*, households: Iterable[int] | None) -> None:
    """Bring every stored obligation state up to date for `households` (ids; None: all), in
    the caller's transaction: services and ledger imports call it after each write that can
    change what is owed or met."""
    ids = None if households is None else sorted(set(households))
    if ids == []:
        return
    for refresh, _check in _STATES:
        refresh(ids)


def state_check(*, rebuild: bool) -> dict[str, int]:
    """The differences between each stored state and a recomputation from scratch, by rule;
    with `rebuild`, the states rebuilt afterwards and the kept answers' noted changes compacted
    (the nightly run). The recomputation never reads a kept answer."""
    found: dict[str, int] = {}
    with kept.afresh():
        for _refresh, check in _STATES:
            found.update(check(rebuild))
    if rebuild:
        kept.compact()
    return found


def rule_label(rule_id: str) -> str:
    """The registered rule's short name, in the user's language; the id itself if none is."""
    known = _RULES.get(rule_id)
    return str(known[1].label) if known else rule_id


def rules() -> list[Rule]:
    """One instance of every registered rule, in the dashboard's order."""
    return [rule() for _order, rule in sorted(_RULES.values(), key=lambda pair: pair[0])]


def _selected(filters: Filters) -> list[Rule]:
    return [
        r
        for r in rules()
        if (filters.rule is None or r.id == filters.rule)
        and (
            filters.article is None
            or r.article == filters.article
            # a rule covering several articles declares them (duty.scheduled: 3-31, 33-36)
            or filters.article in getattr(r, "articles", ())
        )
    ]


def sort_key(item: OverdueItem) -> tuple:
    return (-item.days_overdue, item.rule, item.household or "", item.period)


def _no_households(_reach: Scope) -> tuple[int, ...] | None:
    return None


def _no_tables(_reach: Scope) -> frozenset[str]:
    return frozenset()


# The households whose rows a reach's answers read (households/scopes.py; None: the whole
# town's, whose answers follow whole tables), and the household tables they are read from alone.
_reach_households: Callable[[Scope], tuple[int, ...] | None] = _no_households
_reach_tables: Callable[[Scope], frozenset[str]] = _no_tables
REACH_HOUSEHOLDS = 1000  # beyond, summing their writes costs more than it spares


def register_reach_households(
    households: Callable[[Scope], tuple[int, ...] | None],
    tables: Callable[[Scope], frozenset[str]],
) -> None:
    global _reach_households, _reach_tables
    _reach_households, _reach_tables = households, tables


@memo.once  # a page's questions share one read of the versions, taken before the first
def _versions(reach: Scope) -> tuple[kept.Versions | None, tuple[int, ...] | None]:
    """The versions the answers are kept under and, for a reach of a few households, their ids:
    the versions of the tables read by household then count those households' writes only."""
    if kept.reading_afresh():
        return None, None
    households = _reach_households(reach)
    if households is not None and len(households) > REACH_HOUSEHOLDS:
        households = None
    if households is None:
        return kept.versions(), None
    return kept.versions(households, _reach_tables(reach)), households


def _answers(user: User | AnonymousUser, filters: Filters, method: str, **asked: Any) -> list:
    """Each selected rule's answer to `method`, kept until the data it read changes
    (`xigang.kept`); none for anonymous users."""
    if not user.is_authenticated:
        return []
    reach = scope_of(user)
    now, households = _versions(reach)
    # Besides the data and the arguments, an answer depends on the reach (one for the whole
    # town; short of it the user's own, for attribution, and the households its versions
    # count), today, go-live and the language.
    who = "whole town" if reach.whole_town else (reach, user.get_username(), households)
    context = (who, timezone.localdate(), go_live(), get_language(), settings.OBLIGATION_SOURCE)
    asking = tuple(sorted(asked.items()))
    return kept.answers(
        now,
        [
            (
                (rule.id, getattr(rule, "source", None), method, filters, asking, context),
                partial(getattr(rule, method), user=user, filters=filters, **asked),
            )
            for rule in _selected(filters)
        ],
    )


def _gather(
    user: User | AnonymousUser, filters: Filters, method: str, **dates: datetime.date
) -> list:
    """What the selected rules' `method` returns, together."""
    return [found for answer in _answers(user, filters, method, **dates) for found in answer]


def overdue_items(
    *,
    user: User | AnonymousUser,
    as_of: datetime.date,
    since: datetime.date,
    filters: Filters = NO_FILTERS,
) -> list[OverdueItem]:
    """Every overdue item in the user's scope: owed periods starting on or after `since` and
    ending before `as_of`, worst first."""
    items = _gather(user, filters, "overdue", as_of=as_of, since=since)
    return sorted(items, key=sort_key)


def overdue_page(
    *,
    user: User | AnonymousUser,
    as_of: datetime.date,
    since: datetime.date,
    filters: Filters = NO_FILTERS,
    end: int,
    due_before: datetime.date | None = None,
) -> tuple[list[OverdueItem], int]:
    """The first `end` items of `overdue_items` (only those due before `due_before` if given),
    the same in the same order, and how many it lists in all, without building the rest: each
    rule answers its own first `end` and its count (`Rule.first`). Merging the rules' sorted
    runs gives the full sort: the rule id is in `sort_key`, so no tie crosses two rules."""
    answers = _answers(
        user, filters, "first", as_of=as_of, since=since, limit=end, due_before=due_before
    )
    merged = heapq.merge(*(items for items, _count in answers), key=sort_key)
    return list(islice(merged, end)), sum(count for _items, count in answers)


def overdue_tallies(
    *,
    user: User | AnonymousUser,
    as_of: datetime.date,
    since: datetime.date,
    filters: Filters = NO_FILTERS,
) -> list[Tally]:
    """The items of `overdue_items`, counted: what the whole-town summaries draw on."""
    return _gather(user, filters, "tallies", as_of=as_of, since=since)


def met_later(
    *,
    user: User | AnonymousUser,
    as_of: datetime.date,
    since: datetime.date,
    filters: Filters = NO_FILTERS,
) -> list[MetLater]:
    """The items of past lists met since by a 补录 (see `MetLater`)."""
    return _gather(user, filters, "met_later", as_of=as_of, since=since)


def tallies_and_met_later(
    *,
    user: User | AnonymousUser,
    as_of: datetime.date,
    since: datetime.date,
    filters: Filters = NO_FILTERS,
) -> tuple[list[Tally], list[MetLater]]:
    """`overdue_tallies` and `met_later` at once (the whole-town trend needs both)."""
    found: tuple[list[Tally], list[MetLater]] = ([], [])
    for tallies, later in _answers(
        user, filters, "tallies_and_met_later", as_of=as_of, since=since
    ):
        found[0].extend(tallies)
        found[1].extend(later)
    return found


def pending_items(
    *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters = NO_FILTERS
) -> list[OverdueItem]:
    items = _gather(user, filters, "pending", as_of=as_of)
    return sorted(items, key=lambda i: (i.due, i.rule, i.household or ""))


def as_json(
    items: list[OverdueItem], *, as_of: datetime.date, since: datetime.date
) -> dict[str, Any]:
    return {
        "as_of": as_of.isoformat(),
        "since": since.isoformat(),
        "items": [item.as_json() for item in items],
    }
