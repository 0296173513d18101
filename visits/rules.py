"""The obligations of pairing work (arts. 38-40), each one set-based query per call.

`pairing.home_visit` (art. 39, each quarter) and `pairing.phone_contact` (art. 39, each month)
follow DESIGN.md exactly:
- a period is owed for a household only if pairings (one cadre or a chain) cover every day of it;
- it is met by a visit of the right kind dated inside it, made by a cadre paired with the
  household on the visit's day (a home visit also meets the month);
- owed and unmet, it is overdue once as_of is after its last day; the current period is pending;
- a report lists the periods starting on or after `since` and ending before `as_of`;
- the item is attributed to the cadre paired on the period's last day.

The periods are generated in Python (a few dozen at most); the households are never looped
over: one query (a UNION ALL of one SELECT per period) returns the (household, period) rows
owed and unmet, and one more names the attributed cadres.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    DateField,
    Exists,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils.translation import gettext as _

from duties.models import Cadre
from duties.params import schedule
from households.models import Household, Pairing
from visits.models import EmergencyCase, Problem, Visit
from visits.periods import PERIOD_OF, Period, periods_between
from xigang.obligations import Filters, OverdueItem, Rule
from xigang.scope import visible

CIVIL_AFFAIRS = "民政科"
PENDING_WINDOW = datetime.timedelta(days=14)


class NextDay(Func):
    """The day after a date column, on every database we run on."""

    output_field = DateField()
    template = "(%(expressions)s + INTERVAL '1 day')"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="date(%(expressions)s, '+1 day')")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s + 1)")


def _active_on(day) -> Q:
    """Pairings covering `day` (a date or an expression)."""
    return Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))


def covered_throughout(period: Period) -> Q:
    """Households under pairing on every day of the period, by one cadre or a chain.

    The first day is covered, and no pairing ends inside the period (before its last day)
    without another one covering the next day: then no day can be uncovered, since the first
    uncovered day would follow the end of a pairing covering the day before it."""
    mine = Pairing.objects.filter(household=OuterRef("pk"))
    next_day = NextDay(OuterRef("end"))
    continued = Pairing.objects.filter(
        household=OuterRef("household_id"), start__lte=next_day
    ).filter(Q(end__isnull=True) | Q(end__gt=OuterRef("end")))
    gap = mine.filter(end__gte=period.start, end__lt=period.end).filter(~Exists(continued))
    return Q(Exists(mine.filter(_active_on(period.start)))) & ~Q(Exists(gap))


def met_by_visit(period: Period, kinds: Iterable[str]) -> Exists:
    """A visit of one of `kinds` inside the period by a cadre paired with the household that day."""
    paired_that_day = Pairing.objects.filter(
        household=OuterRef("household_id"), cadre=OuterRef("cadre_id")
    ).filter(_active_on(OuterRef("on")))
    return Exists(
        Visit.objects.filter(
            household=OuterRef("pk"), kind__in=list(kinds), on__gte=period.start, on__lte=period.end
        ).filter(Exists(paired_that_day))
    )


def cadre_on(day: datetime.date) -> Subquery:
    """The id of the cadre paired with the household on `day` (the latest started, if several)."""
    return Subquery(
        Pairing.objects.filter(household=OuterRef("pk"))
        .filter(_active_on(day))
        .order_by("-start", "-id")
        .values("cadre_id")[:1],
        output_field=IntegerField(),
    )


def _cadres(ids: set[int]) -> dict[int, tuple[str, str, str | None]]:
    """id -> (username, name, department name): one query."""
    return {
        row[0]: row[1:]
        for row in Cadre.objects.filter(pk__in=ids).values_list(
            "pk", "user__username", "name", "department__name"
        )
    }


class PairingRule(Rule):
    """A contact owed to each paired household once per calendar period."""

    article = 39
    period_kind: str
    kinds: tuple[str, ...]

    def subject(self, period: Period) -> str:
        raise NotImplementedError

    def _households(self, user: User | AnonymousUser, filters: Filters) -> QuerySet:
        households = visible(user, Household.objects.all())
        if filters.village:
            households = households.filter(village__name=filters.village)
        return households

    def unmet(
        self, *, user: User | AnonymousUser, periods: list[Period], filters: Filters
    ) -> list[tuple[str, str, int | None, Period]]:
        """(household number, village name, attributed cadre id, period) for every period owed
        and unmet: one query whatever the number of households or periods."""
        if not periods:
            return []
        base = self._households(user, filters)
        selects = []
        for index, period in enumerate(periods):
            qs = (
                base.filter(covered_throughout(period))
                .filter(~met_by_visit(period, self.kinds))
                .annotate(attributed=cadre_on(period.end), period_index=Value(index))
            )
            if filters.cadre:
                qs = qs.filter(
                    attributed__in=Cadre.objects.filter(user__username=filters.cadre).values("pk")
                )
            if filters.department:
                qs = qs.filter(
                    attributed__in=Cadre.objects.filter(department__name=filters.department).values(
                        "pk"
                    )
                )
            selects.append(
                qs.order_by().values_list("number", "village__name", "attributed", "period_index")
            )
        combined = selects[0].union(*selects[1:], all=True) if len(selects) > 1 else selects[0]
        return [(n, v, c, periods[i]) for n, v, c, i in combined]

    def _items(
        self, rows: list[tuple[str, str, int | None, Period]], as_of: datetime.date, pending: bool
    ) -> list[OverdueItem]:
        cadres = _cadres({c for _n, _v, c, _p in rows if c is not None})
        items = []
        for number, village, cadre_id, period in rows:
            username, name, department = cadres.get(cadre_id, (None, None, None))
            items.append(
                OverdueItem(
                    rule=self.id,
                    article=self.article,
                    period=period.label,
                    period_start=period.start,
                    period_end=period.end,
                    due=period.end,
                    days_overdue=0 if pending else (as_of - period.end).days,
                    household=number,
                    village=village,
                    cadre=username,
                    department=department,
                    subject=self.subject(period),
                    cadre_name=name,
                )
            )
        return items

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[OverdueItem]:
        periods = periods_between(self.period_kind, since, as_of)
        rows = self.unmet(user=user, periods=periods, filters=filters)
        return self._items(rows, as_of, pending=False)

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> list[OverdueItem]:
        """The current period, owed (pairing through its last day as known) and not yet met."""
        rows = self.unmet(user=user, periods=[PERIOD_OF[self.period_kind](as_of)], filters=filters)
        return self._items(rows, as_of, pending=True)


class HomeVisitRule(PairingRule):
    id = "pairing.home_visit"
    title = "a home visit to each paired household every quarter"
    period_kind = "quarter"
    kinds = (Visit.Kind.HOME,)

    def subject(self, period: Period) -> str:
        return _("at least one home visit in %(period)s") % {"period": period.label}


class PhoneContactRule(PairingRule):
    id = "pairing.phone_contact"
    title = "a phone contact (or a home visit) with each paired household every month"
    period_kind = "month"
    kinds = (Visit.Kind.PHONE, Visit.Kind.HOME)

    def subject(self, period: Period) -> str:
        return _("at least one phone contact or home visit in %(period)s") % {
            "period": period.label
        }


def _open_on(as_of: datetime.date, field: str) -> Q:
    """Not closed by the end of `as_of`."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": as_of})


class ProblemResolveRule(Rule):
    """A problem still open on as_of after its due date (set when it was routed)."""

    id = "problem.resolve"
    article = 38
    title = "a routed problem resolved by its due date"

    def _open(self, user: User | AnonymousUser, as_of: datetime.date, filters: Filters):
        if filters.cadre:
            return Problem.objects.none()  # the department answers, not a cadre
        problems = visible(user, Problem.objects.filter(_open_on(as_of, "resolved_on")))
        if filters.village:
            problems = problems.filter(household__village__name=filters.village)
        if filters.department:
            problems = problems.filter(department__name=filters.department)
        return problems.select_related("household__village", "department", "category")

    def _item(self, problem: Problem, days_overdue: int) -> OverdueItem:
        return OverdueItem(
            rule=self.id,
            article=self.article,
            period=problem.found_on.isoformat(),
            period_start=problem.found_on,
            period_end=problem.due,
            due=problem.due,
            days_overdue=days_overdue,
            household=problem.household.number,
            village=problem.household.village.name,
            cadre=None,
            department=problem.department.name,
            subject=_("resolve the problem 「%(category)s」: %(description)s")
            % {"category": problem.category.name, "description": problem.description},
        )

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[OverdueItem]:
        # One query: problems found on or after `since`, due before `as_of`, open on `as_of`.
        problems = self._open(user, as_of, filters).filter(found_on__gte=since, due__lt=as_of)
        return [self._item(p, (as_of - p.due).days) for p in problems]

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> list[OverdueItem]:
        problems = self._open(user, as_of, filters).filter(
            found_on__lte=as_of, due__gte=as_of, due__lte=as_of + PENDING_WINDOW
        )
        return [self._item(p, 0) for p in problems]


class EmergencyAidRule(Rule):
    """A 救急难 case not aided within the days in force on the day it was reported (art. 40)."""

    id = "emergency.aid"
    article = 40
    title = "a 救急难 case aided within days of its report"

    def _open(self, user: User | AnonymousUser, as_of: datetime.date, filters: Filters):
        if filters.department and filters.department != CIVIL_AFFAIRS:
            return EmergencyCase.objects.none()
        cases = visible(user, EmergencyCase.objects.filter(_open_on(as_of, "aided_on")))
        if filters.village:
            cases = cases.filter(household__village__name=filters.village)
        if filters.cadre:
            cases = cases.filter(cadre__user__username=filters.cadre)
        return cases.select_related("household__village", "cadre__user")

    @staticmethod
    def _due_before(day: datetime.date) -> Q:
        """Cases whose due date (report + the days in force on the report day) is before `day`:
        built from the parameter's schedule in Python, so the database does no date sums."""
        steps = schedule("emergency.aid", "days")
        q = Q()
        for i, (start, days) in enumerate(steps):
            span = Q(reported_on__lt=day - datetime.timedelta(days=days))
            if i > 0:
                span &= Q(reported_on__gte=start)
            if i + 1 < len(steps):
                span &= Q(reported_on__lt=steps[i + 1][0])
            q = q | span if q else span
        return q

    def _item(self, case: EmergencyCase, as_of: datetime.date, pending: bool, steps) -> OverdueItem:
        days = next((v for start, v in reversed(steps) if start <= case.reported_on), steps[0][1])
        due = case.reported_on + datetime.timedelta(days=days)
        return OverdueItem(
            rule=self.id,
            article=self.article,
            period=case.reported_on.isoformat(),
            period_start=case.reported_on,
            period_end=due,
            due=due,
            days_overdue=0 if pending else (as_of - due).days,
            household=case.household.number,
            village=case.household.village.name,
            cadre=case.cadre.user.username if case.cadre else None,
            department=CIVIL_AFFAIRS,
            subject=_("aid the 救急难 case (%(cause)s, %(expense)s yuan)")
            % {"cause": case.cause, "expense": case.expense},
            cadre_name=case.cadre.name if case.cadre else None,
        )

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[OverdueItem]:
        cases = list(
            self._open(user, as_of, filters).filter(self._due_before(as_of), reported_on__gte=since)
        )
        return self._items(cases, as_of, pending=False)

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> list[OverdueItem]:
        cases = list(
            self._open(user, as_of, filters)
            .filter(reported_on__lte=as_of)
            .exclude(self._due_before(as_of))
        )
        return self._items(cases, as_of, pending=True)

    def _items(self, cases, as_of, pending):
        steps = schedule("emergency.aid", "days")
        return [self._item(case, as_of, pending, steps) for case in cases]
