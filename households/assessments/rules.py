"""The rules of 两不愁三保障 (art. 38): `assessment.due` and `assessment.gap`.

Rule `assessment.due` (art. 38, owed by the pairing cadre and the village): every household not
closed is assessed on 一达标、两不愁、三保障
- at least once in each calendar period of the parameter `assessment.due`/`months` (12: each
  calendar year; the months in force on the period's first day). A period is owed for a
  household not closed (已销户) whose year identified, if known, is not after the period's
  year; it is met by an assessment dated inside it; owed and not met, it is overdue once it has
  ended (the as-of day is after its last day), due on its last day. The current period, not yet
  met, is pending once its end is within `due_soon_days`;
- and within `change_days` (15) of a visit that reports a change (`Visit.reports_change`):
  period = period_start = the visit's day, due = that day + the days in force on it; met by an
  assessment dated from the visit's day to the due day; overdue once the due day is before
  as-of; pending from the visit's day to its due day;
- from go-live, a list as of a day counts the assessments entered by then (`known_by`);
- `since` keeps periods (and visits) starting on or after it;
- who answers: the village, and the cadre paired with the household on the due day (the period's
  last day); that cadre sees the item after a handover, the successor does not. No department.

Rule `assessment.gap` (art. 38, and the article of the department, e.g. 11 for 村建办): a gap
(an item assessed as not met) is closed by the department it was routed to by its due day
(found + the parameter `assessment.gap`/`days` in force on the day found, 60 by default). Like
`problem.resolve`: overdue as of a day when it is known and still open at that day's end and
its due day is before it; days_overdue = as-of − due; pending while open and due within
`due_soon_days`; `since` keeps gaps found on or after it; the department answers, no cadre.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    BooleanField,
    DateField,
    Exists,
    Expression,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duties.organisation.params import PERIOD_KINDS, InForce, due_soon_until, stored, with_default
from households.assessments.models import AssessmentGap
from households.models import Assessment, Household, Pairing
from households.responsibility import ASSESSMENT_DEPARTMENTS
from households.scopes import answer_households
from xigang.entry import end_of, known_by, known_from
from xigang.obligations import (
    Filters,
    MetLater,
    OverdueItem,
    RoutedRecordRule,
    Rule,
    Tally,
    met_later_of,
    register,
    tally,
    was_overdue_until,
)
from xigang.periods import Period, stepped_period_of, stepped_periods_between
from xigang.scope import attribution as scope_attribution
from xigang.scope import scope_of, visible

DUE_RULE = "assessment.due"
GAP_RULE = "assessment.gap"
ONE_DAY = datetime.timedelta(days=1)

# (household id, number, village name, year identified)
HouseholdRow = tuple[int, str, str, int | None]


@register(order=37)
class AssessmentDueRule(Rule):
    id = DUE_RULE
    label = gettext_lazy("两不愁三保障 assessment")
    article = 38
    title = "every household assessed on 两不愁三保障 each year and after a reported change"

    def _households(
        self, user: User | AnonymousUser, filters: Filters, candidates: Q
    ) -> tuple[list[HouseholdRow], set[int], int | None, QuerySet[Household]]:
        """The households not closed among `candidates` that the user sees items of (by unit,
        or as a cadre ever paired with them), the ids of those in reach by unit, and the
        user's cadre (one query after the scope)."""
        found = scope_attribution(
            user, Household.objects.exclude(status=Household.Status.CLOSED), routed=False
        )
        households = found.reach
        if found.cadre_id is not None:
            paired = Pairing.objects.filter(household_id=OuterRef("pk"), cadre_id=found.cadre_id)
            households = Household.objects.exclude(status=Household.Status.CLOSED).filter(
                Q(pk__in=found.reach.values("pk")) | Q(Exists(paired))
            )
        if filters.village:
            households = households.filter(village__name=filters.village)
        few = answer_households(scope_of(user))  # None for the whole town
        if few is not None and len(few) <= FEW:
            # A superset of the households above, as ids: PostgreSQL then probes each one's
            # assessments rather than reading the whole town's (~8 ms a call down to ~1).
            households = households.filter(pk__in=few)
        households = households.filter(candidates)
        reached = Value(True) if found.whole_town else Exists(found.reach.filter(pk=OuterRef("pk")))
        rows = []
        reach: set[int] = set()
        for pk, number, village, year, in_reach in households.annotate(
            in_reach=reached
        ).values_list("pk", "number", "village__name", "year_identified", "in_reach"):
            rows.append((pk, number, village, year))
            if in_reach:
                reach.add(pk)
        return rows, reach, found.cadre_id, households

    def _items(
        self,
        user: User | AnonymousUser,
        *,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
        pending: bool,
    ) -> tuple[list[OverdueItem], list[MetLater]]:
        """The overdue (or pending) items, and (overdue only) the `MetLater` of the periods and
        changes met by an assessment entered after the day after their due day: one pass."""
        if filters.department:
            return [], []  # the rule charges villages and pairing cadres, no department
        params = _parameters()
        steps = tuple((start, PERIOD_KINDS[months]) for start, months in params["months"].steps)
        change_days = params["change_days"]
        current = stepped_period_of(steps, as_of)
        if pending:
            soon = as_of + datetime.timedelta(days=params["due_soon_days"].on(as_of))
            periods = [current] if current.end <= soon else []
            since = as_of - datetime.timedelta(days=max(d for _s, d in change_days.steps))
        else:
            periods = stepped_periods_between(steps, since, as_of)
        candidates = _candidates(periods, since=since, as_of=as_of, pending=pending)
        households, reach, cadre_id, chosen = self._households(user, filters, candidates)
        if not households:
            return [], []
        first = min([since, *(p.start for p in periods)])
        # household id -> (assessed on, the day the assessment counts from)
        assessed: dict[int, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
        changes = []
        # The households as a subquery for a town (3,000 parameters); a cadre's few as their ids,
        # not the scope's subqueries again in each statement.
        ids = chosen.values("pk") if len(households) > FEW else [row[0] for row in households]
        for pk, day, is_change, known_on in _days(ids, first=first, since=since, as_of=as_of):
            if is_change:
                changes.append((pk, day))
            else:
                assessed[pk].append((day, max(day, known_on or day)))

        def listed(pk: int, start: datetime.date, due: datetime.date) -> datetime.date | None:
            """None: unmet as of `as_of` (listed); the day met, when met late after it was
            listed; `date.min`: met in time (never listed)."""
            met = min((n for d, n in assessed.get(pk, []) if start <= d <= due), default=None)
            if met is None or (not pending and was_overdue_until(due, met, None)):
                return met
            return datetime.date.min

        owed: list[tuple[HouseholdRow, Period, datetime.date, str, datetime.date | None]] = []
        by_id = {row[0]: row for row in households}
        for row in households:
            for period in periods:
                if row[3] is not None and row[3] > period.end.year:
                    continue  # identified later: not yet in the register
                met = listed(row[0], period.start, period.end)
                if met != datetime.date.min:
                    subject = _("assess 两不愁三保障 in %(period)s") % {"period": period.label}
                    owed.append((row, period, period.end, subject, met))
        for pk, day in changes:
            due = day + datetime.timedelta(days=change_days.on(day))
            if pending and due < as_of:
                continue
            if not pending and due >= as_of:
                continue
            met = listed(pk, day, due)
            if met == datetime.date.min:
                continue
            period = Period(day.isoformat(), day, due)
            subject = _("re-assess 两不愁三保障: a visit on %(day)s reported a change") % {
                "day": day.isoformat()
            }
            owed.append((by_id[pk], period, due, subject, met))
        if not owed:
            return [], []
        cadres = _cadres_on(owed, ids)
        items = []
        counts: Counter[tuple[datetime.date, datetime.date]] = Counter()
        for row, period, due, subject, met in owed:
            cadre = cadres.get((row[0], due))
            if row[0] not in reach and (cadre is None or cadre[0] != cadre_id):
                continue  # another cadre's item, seen only by its village
            if filters.cadre and (cadre is None or cadre[1] != filters.cadre):
                continue
            if met is not None:
                counts[(due, met)] += 1
                continue
            items.append(
                OverdueItem(
                    rule=self.id,
                    article=self.article,
                    period=period.label,
                    period_start=period.start,
                    period_end=period.end,
                    due=due,
                    days_overdue=0 if pending else (as_of - due).days,
                    household=row[1],
                    village=row[2],
                    cadre=cadre[1] if cadre else None,
                    department=None,
                    subject=subject,
                    cadre_name=cadre[2] if cadre else None,
                )
            )
        return items, met_later_of(self.id, counts)

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[OverdueItem]:
        return self._items(user, as_of=as_of, since=since, filters=filters, pending=False)[0]

    def tallies_and_met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> tuple[list[Tally], list[MetLater]]:
        items, later = self._items(user, as_of=as_of, since=since, filters=filters, pending=False)
        return tally(items), later

    def met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[MetLater]:
        return self._items(user, as_of=as_of, since=since, filters=filters, pending=False)[1]

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> list[OverdueItem]:
        return self._items(user, as_of=as_of, since=as_of, filters=filters, pending=True)[0]


FEW = 500  # households listed by id rather than by a subquery


def _parameters() -> dict[str, InForce]:
    """The rule's dated parameters, read in one query."""
    names = ("months", "change_days", "due_soon_days")
    return {
        name: with_default(DUE_RULE, name, rows) for name, rows in stored(DUE_RULE, names).items()
    }


def _candidates(
    periods: list[Period], *, since: datetime.date, as_of: datetime.date, pending: bool
) -> Q:
    """SQL on the households: a superset of those with an item listed as of `as_of` (pending,
    or overdue) or met late: a period without an assessment known in time, or a visit from
    `since` reporting a change; `_items` decides on these few."""
    changed = Household.objects.filter(
        visits__reports_change=True, visits__on__gte=since, visits__on__lte=as_of
    )
    found = Q(pk__in=changed.values("pk"))
    for period in periods:
        # An assessment in the period known by then: the period is never listed, nor met late.
        by = as_of if pending else period.end + ONE_DAY
        met = Assessment.objects.filter(
            known_by(by, dated="assessed_on", entered="created_at"),
            household_id=OuterRef("pk"),
            assessed_on__gte=period.start,
            assessed_on__lte=min(period.end, by),
        )
        in_register = Q(year_identified__isnull=True) | Q(year_identified__lte=period.end.year)
        found |= in_register & ~Q(Exists(met))
    return found


def _days(
    ids: QuerySet | list[int], *, first: datetime.date, since: datetime.date, as_of: datetime.date
) -> list[tuple[int, datetime.date, bool, datetime.date | None]]:
    """(household id, day, whether a change, the day an assessment is known from or None) of
    the assessments known by `as_of` from `first`, and of the visits from `since` reporting a
    change, in one query. The visits are read
    through the household's reverse relation: households imports no other app."""
    assessments = (
        Assessment.objects.filter(household_id__in=ids, assessed_on__gte=first)
        .filter(assessed_on__lte=as_of)
        .filter(known_by(as_of, dated="assessed_on", entered="created_at"))
        .order_by()
        .annotate(known_on=known_from(dated="assessed_on", entered="created_at"))
        .values_list(
            "household_id",
            "assessed_on",
            Value(False, output_field=BooleanField()),
            "known_on",
        )
    )
    changes = Household.objects.filter(
        pk__in=ids, visits__reports_change=True, visits__on__gte=since, visits__on__lte=as_of
    )
    changes = changes.order_by().values_list(
        "pk",
        "visits__on",
        Value(True, output_field=BooleanField()),
        Value(None, output_field=DateField()),
    )
    return list(assessments.union(changes))


def _cadres_on(
    owed: Iterable[tuple[HouseholdRow, Period, datetime.date, str, datetime.date | None]],
    ids: QuerySet | list[int],
) -> dict[tuple[int, datetime.date], tuple[int, str, str]]:
    """(household id, day) -> (cadre id, username, name) of the cadre paired that day (the
    latest started), for each item's household and due day, from the pairings of the
    households `ids` (a subquery; one query)."""
    wanted = {(row[0], due) for row, _period, due, _subject, _met in owed}
    spans = defaultdict(list)
    for pk, start, end, cadre_id, username, name in (
        Pairing.objects.filter(household_id__in=ids)
        .order_by("start", "id")
        .values_list(
            "household_id", "start", "end", "cadre_id", "cadre__user__username", "cadre__name"
        )
    ):
        spans[pk].append((start, end, (cadre_id, username or "", name)))
    found = {}
    for pk, day in wanted:
        for start, end, cadre in spans[pk]:
            if start <= day and (end is None or end >= day):
                found[(pk, day)] = cadre  # later starts win, as in the visit rules
    return found


def gap_open_on(as_of: datetime.date) -> Q:
    """Known by the end of `as_of` and not closed by then: closing is an entry, dated by the
    server."""
    return known_by(as_of, dated="found_on", entered="created_at") & (
        Q(closed_at__isnull=True) | Q(closed_at__gte=end_of(as_of))
    )


@register(order=38)
class AssessmentGapRule(RoutedRecordRule):
    """A gap still open on as_of after its due date; the department it was routed to answers."""

    id = GAP_RULE
    label = gettext_lazy("两不愁三保障 gap closed")
    article = 38
    # Each item cites its department's article (11 housing, 12 health, 13 education, ...).
    articles = tuple(sorted({article for _name, article in ASSESSMENT_DEPARTMENTS.values()}))
    title = "a 两不愁三保障 gap closed by its department by its due date"
    since_field = "found_on"
    started_field = "found_on"

    def scoped(self, user: User | AnonymousUser, filters: Filters) -> QuerySet[AssessmentGap]:
        if filters.cadre:
            return AssessmentGap.objects.none()  # the department answers, not a cadre
        gaps = visible(user, AssessmentGap.objects.all())
        if filters.article is not None and filters.article != self.article:
            items = [i for i, (_n, a) in ASSESSMENT_DEPARTMENTS.items() if a == filters.article]
            gaps = gaps.filter(item__in=items)
        if filters.village:
            gaps = gaps.filter(household__village__name=filters.village)
        if filters.department:
            gaps = gaps.filter(department__name=filters.department)
        return gaps

    def open_q(self, as_of: datetime.date) -> Q:
        return gap_open_on(as_of)

    def closed_from(self) -> Expression:
        return TruncDate("closed_at")  # closing is an entry: no typed date

    def known_from(self) -> Expression:
        return known_from(dated="found_on", entered="created_at")

    def due_soon_until(self, as_of: datetime.date) -> datetime.date:
        return due_soon_until(self.id, as_of)

    def items(
        self, records: QuerySet[AssessmentGap], as_of: datetime.date, *, pending: bool
    ) -> list[OverdueItem]:
        labels = dict(Assessment.Item.choices)
        subject = _(
            "close the gap 「%(item)s」 found on %(day)s, with evidence and a re-assessment"
        )
        return [
            OverdueItem(
                rule=self.id,
                article=ASSESSMENT_DEPARTMENTS[item][1],
                period=found_on.isoformat(),
                period_start=found_on,
                period_end=due,
                due=due,
                days_overdue=0 if pending else (as_of - due).days,
                household=number,
                village=village,
                cadre=None,
                department=department,
                subject=subject % {"item": labels[item], "day": found_on.isoformat()},
                entered_at=created_at,
            )
            for item, found_on, due, number, village, department, created_at in records.values_list(
                "item",
                "found_on",
                "due",
                "household__number",
                "household__village__name",
                "department__name",
                "created_at",
            )
        ]
