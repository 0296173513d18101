"""The obligations of pairing work (arts. 38-40), each one set-based query per call.

`pairing.home_visit` (art. 39, each quarter) and `pairing.phone_contact` (art. 39, each month)
follow docs/design.md, 'Exact semantics' (the frequency is the dated parameter "months": each
period is of the frequency in force on its first day):
- a period is owed for a household only if pairings (one cadre or a chain) cover every day of it;
- it is met by a visit of the right kind dated inside it, made by a cadre paired with the
  household on the visit's day (a home visit also meets the month);
- owed and unmet, it is overdue once as_of is after its last day; the current period is pending;
- a report lists the periods starting on or after `since` and ending before `as_of`;
- the item is attributed to the cadre paired on the period's last day.

The periods are generated in Python (a few dozen at most); the households are never looped
over: one query (the periods as a VALUES list crossed with the households in scope, filtered by
EXISTS / NOT EXISTS) returns the (household, period) rows owed and unmet, and one more names the
attributed cadres.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import replace

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Q,
    QuerySet,
)
from django.utils.translation import gettext as _

from duties.models import Cadre, Village
from duties.organisation.params import InForce, due_soon_until, in_force, period_steps
from households.models import Household, Pairing
from visits.models import EmergencyCase, Problem, Visit
from visits.scopes import EMERGENCY_DEPARTMENT
from xigang.obligations import Filters, OverdueItem, Rule, Tally, register
from xigang.periods import Period, stepped_period_of, stepped_periods_between
from xigang.scope import Attribution, attributed, visible
from xigang.scope import attribution as scope_attribution

CIVIL_AFFAIRS = EMERGENCY_DEPARTMENT


def _cadres(ids: set[int]) -> dict[int, tuple[str, str, str | None]]:
    """id -> (username, name, department name): one query. Unordered: with the model's ordering,
    SQLite plans a scan of every user against the id list."""
    return {
        row[0]: row[1:]
        for row in Cadre.objects.filter(pk__in=ids)
        .order_by()
        .values_list("pk", "user__username", "name", "department__name")
    }


def _cadre_filter(filters: Filters) -> QuerySet | None:
    """The cadres an item may be attributed to under the filters; None: any."""
    if not (filters.cadre or filters.department):
        return None
    cadres = Cadre.objects.all()
    if filters.cadre:
        cadres = cadres.filter(user__username=filters.cadre)
    if filters.department:
        cadres = cadres.filter(department__name=filters.department)
    return cadres.values("pk")


def _next_day(column: str) -> str:
    if connection.vendor == "sqlite":
        return f"date({column}, '+1 day')"
    if connection.vendor == "postgresql":
        return f"({column} + 1)"
    return f"({column} + INTERVAL '1 day')"


def _in_scope(
    households: QuerySet, column: str = "h.id", key: str = "pk", *, ids_first: bool = True
) -> tuple[str, list]:
    """The condition on `column` (the households' `key`) that keeps the households in scope,
    and its parameters."""
    if households.query.where and connection.vendor == "postgresql" and ids_first:
        # The ids first (one query): PostgreSQL misjudges a scope subquery and scans every visit.
        ids = list(households.order_by().values_list(key, flat=True))
        if not ids:
            raise EmptyResultSet  # nobody in scope: no statement to run
        return f"{column} = ANY(%s)", [ids]
    if households.query.where:
        household_sql, household_params = households.values(key).query.sql_with_params()
        return f"{column} IN ({household_sql})", list(household_params)
    return "1 = 1", []  # the whole town, unfiltered


def _attributed(sql: str, params: list, attribution: Attribution) -> tuple[str, list]:
    """The rows of `sql` the attribution shows: those of the households in its reach, and
    those attributed to its cadre (a handover leaves a period with the cadre paired on its
    last day, whoever is paired today)."""
    try:
        # A subquery on PostgreSQL too: it filters the few rows found, it drives no scan.
        in_reach, reach_params = _in_scope(
            attribution.reach, "unmet.number", "number", ids_first=False
        )
    except EmptyResultSet:
        in_reach, reach_params = "1 = 0", []
    sql = f"SELECT * FROM ({sql}) unmet WHERE unmet.cadre_id = %s OR {in_reach}"  # noqa: S608
    return sql, [*params, attribution.cadre_id, *reach_params]


def unmet_query(
    *,
    periods: list[Period],
    kinds: Iterable[str],
    households: QuerySet,
    cadres: QuerySet | None = None,
    attribution: Attribution | None = None,
) -> tuple[str, list]:
    """The owed-and-unmet (household, period) rows, as one SQL statement.

    The periods are a VALUES list crossed with the households, so that the database answers
    every period in one pass over the visits (the ORM cannot express that product; a UNION ALL
    of one ORM query per period was slower). The households and cadres allowed come in as
    ORM-built querysets, so that the scope stays in `xigang.scope`.

    Owed: the first day is covered by a pairing, and no pairing ends inside the period (before
    its last day) without another covering the next day; then no day is uncovered, since the
    first uncovered day would follow the end of a pairing covering the day before it.
    Met: a visit of one of `kinds` inside the period by a cadre paired with the household on
    the visit's day. Attributed: the cadre paired on the last day (the latest started).
    With `attribution` (a user's, from `xigang.scope`), only the rows it shows: `households`
    must then hold its reach and the households its cadre was ever paired with."""
    kinds = list(kinds)
    cast = "::date" if connection.vendor == "postgresql" else ""
    values = ", ".join(f"(%s, %s{cast}, %s{cast})" for _ in periods)
    params: list = [value for i, p in enumerate(periods) for value in (i, p.start, p.end)]
    in_scope, household_params = _in_scope(households)
    pairing = Pairing._meta.db_table
    sql = f"""
WITH periods (idx, ps, pe) AS (VALUES {values})
SELECT h.number, v.name,
       (SELECT p.cadre_id FROM {pairing} p
         WHERE p.household_id = h.id AND p.start <= pr.pe AND (p."end" IS NULL OR p."end" >= pr.pe)
         ORDER BY p.start DESC, p.id DESC LIMIT 1) AS cadre_id,
       pr.idx
  FROM periods pr
 CROSS JOIN {Household._meta.db_table} h
  JOIN {Village._meta.db_table} v ON v.id = h.village_id
 WHERE {in_scope}
   AND EXISTS (SELECT 1 FROM {pairing} p
                WHERE p.household_id = h.id AND p.start <= pr.ps
                  AND (p."end" IS NULL OR p."end" >= pr.ps))
   AND NOT EXISTS (SELECT 1 FROM {pairing} q
                    WHERE q.household_id = h.id AND q."end" >= pr.ps AND q."end" < pr.pe
                      AND NOT EXISTS (SELECT 1 FROM {pairing} r
                                       WHERE r.household_id = h.id
                                         AND r.start <= {_next_day('q."end"')}
                                         AND (r."end" IS NULL OR r."end" > q."end")))
   AND NOT EXISTS (SELECT 1 FROM {Visit._meta.db_table} w
                    WHERE w.household_id = h.id AND w.kind IN ({", ".join("%s" for _ in kinds)})
                      AND w."on" >= pr.ps AND w."on" <= pr.pe
                      AND EXISTS (SELECT 1 FROM {pairing} c
                                   WHERE c.household_id = h.id AND c.cadre_id = w.cadre_id
                                     AND c.start <= w."on"
                                     AND (c."end" IS NULL OR c."end" >= w."on")))
"""
    params += list(household_params) + kinds
    if cadres is not None:
        cadre_sql, cadre_params = cadres.query.sql_with_params()
        sql = f"SELECT * FROM ({sql}) unmet WHERE unmet.cadre_id IN ({cadre_sql})"
        params += list(cadre_params)
    if attribution is not None and attribution.cadre_id is not None:
        sql, params = _attributed(sql, params, attribution)
    return sql, params


class PairingRule(Rule):
    """A contact owed to each paired household once per calendar period."""

    article = 39
    kinds: tuple[str, ...]
    kind_owed: str  # the kind of visit that meets the current period (the entry's preselection)

    def subject(self, period: Period) -> str:
        raise NotImplementedError

    def why(self, *, pending: bool) -> str:
        """Why a household's period is listed, after its label (the cadre's home screen)."""
        raise NotImplementedError

    def periods(self, since: datetime.date, as_of: datetime.date) -> list[Period]:
        """The owed periods starting on or after `since` and ending before `as_of`, each of the
        frequency in force on its first day (art. 44; one query)."""
        return stepped_periods_between(period_steps(self.id), since, as_of)

    def current_period(self, as_of: datetime.date) -> Period:
        """The period in force that holds `as_of` (one query)."""
        return stepped_period_of(period_steps(self.id), as_of)

    def _households(
        self, user: User | AnonymousUser, filters: Filters
    ) -> tuple[QuerySet, Attribution]:
        """The households to look at (the reach, and those ever paired with the user's cadre)
        and the user's attribution (`xigang.scope.attribution`)."""
        attribution = scope_attribution(user, Household.objects.all())
        if filters.village:
            attribution = replace(
                attribution, reach=attribution.reach.filter(village__name=filters.village)
            )
        households = attribution.reach
        if attribution.cadre_id is not None:
            ever_paired = Household.objects.filter(
                pk__in=Pairing.objects.filter(cadre_id=attribution.cadre_id).values("household_id")
            )
            if filters.village:
                ever_paired = ever_paired.filter(village__name=filters.village)
            households = households | ever_paired
        return households, attribution

    def _fetch(
        self, *, user: User | AnonymousUser, periods: list[Period], filters: Filters, grouped: bool
    ) -> list[tuple[tuple, tuple]]:
        """The owed-and-unmet rows (household number, village, attributed cadre id, period
        index), or with `grouped` their counts (village, cadre id, period index, count), each
        with its cadre's (username, name, department name), or Nones: two queries whatever the
        number of households or periods (three on PostgreSQL for a scope short of the whole
        town: its household ids first, see `unmet_query`)."""
        if not periods:
            return []
        try:
            households, attribution = self._households(user, filters)
            sql, params = unmet_query(
                periods=periods,
                kinds=self.kinds,
                households=households,
                cadres=_cadre_filter(filters),
                attribution=attribution,
            )
        except EmptyResultSet:  # nothing in the user's scope
            return []
        if grouped:
            sql = (
                f"SELECT g.name, g.cadre_id, g.idx, COUNT(*) FROM ({sql}) g "
                "GROUP BY g.name, g.cadre_id, g.idx"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        at = 1 if grouped else 2  # the cadre id's column
        cadres = _cadres({row[at] for row in rows if row[at] is not None})
        nobody = (None, None, None)
        return [(row, cadres.get(row[at], nobody)) for row in rows]

    def tallies(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[Tally]:
        """The overdue periods counted in the database (`_fetch`), and no item built."""
        periods = self.periods(since, as_of)
        rows = self._fetch(user=user, periods=periods, filters=filters, grouped=True)
        tallies = []
        for (village, _id, index, count), (username, name, department) in rows:
            tallies.append(
                Tally(
                    rule=self.id,
                    article=self.article,
                    due=periods[index].end,
                    village=village,
                    department=department,
                    cadre=username,
                    cadre_name=name,
                    count=count,
                )
            )
        return tallies

    def _items(
        self,
        *,
        user: User | AnonymousUser,
        periods: list[Period],
        filters: Filters,
        as_of: datetime.date,
        pending: bool,
    ) -> list[OverdueItem]:
        rows = self._fetch(user=user, periods=periods, filters=filters, grouped=False)
        # What the items of one period share, built once per period rather than per item.
        shared = [
            {
                "rule": self.id,
                "article": self.article,
                "period": p.label,
                "period_start": p.start,
                "period_end": p.end,
                "due": p.end,
                "days_overdue": 0 if pending else (as_of - p.end).days,
                "subject": self.subject(p),
            }
            for p in periods
        ]
        items = []
        for (number, village, _id, index), (username, name, department) in rows:
            items.append(
                OverdueItem(
                    **shared[index],
                    household=number,
                    village=village,
                    cadre=username,
                    department=department,
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
        periods = self.periods(since, as_of)
        return self._items(user=user, periods=periods, filters=filters, as_of=as_of, pending=False)

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> list[OverdueItem]:
        """The current period, owed (pairing through its last day as known) and not yet met."""
        periods = [self.current_period(as_of)]
        return self._items(user=user, periods=periods, filters=filters, as_of=as_of, pending=True)


@register(order=10)
class HomeVisitRule(PairingRule):
    id = "pairing.home_visit"
    title = "a home visit to each paired household every quarter"
    kinds = (Visit.Kind.HOME,)
    kind_owed = Visit.Kind.HOME

    def subject(self, period: Period) -> str:
        return _("at least one home visit in %(period)s") % {"period": period.label}

    def why(self, *, pending: bool) -> str:
        if pending:
            return _("no home visit recorded yet in this period (phone calls do not count)")
        return _("no home visit was recorded in that period (phone calls do not count)")


@register(order=20)
class PhoneContactRule(PairingRule):
    id = "pairing.phone_contact"
    title = "a phone contact (or a home visit) with each paired household every month"
    kinds = (Visit.Kind.PHONE, Visit.Kind.HOME)
    kind_owed = Visit.Kind.PHONE

    def why(self, *, pending: bool) -> str:
        if pending:
            return _("no phone call or home visit recorded yet in this period")
        return _("no phone call or home visit was recorded in that period")

    def subject(self, period: Period) -> str:
        return _("at least one phone contact or home visit in %(period)s") % {
            "period": period.label
        }


def _open_on(as_of: datetime.date, field: str) -> Q:
    """Not closed by the end of `as_of`."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": as_of})


def problem_late_q(as_of: datetime.date) -> Q:
    """The one definition of a late problem: still open on `as_of` and due before it."""
    return _open_on(as_of, "resolved_on") & Q(due__lt=as_of)


@register(order=40)
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
        return problems.order_by("due", "id")

    # The columns an item needs, read as values: building the model objects would cost the most.
    _COLUMNS = (
        "found_on",
        "due",
        "household__number",
        "household__village__name",
        "department__name",
        "category__name",
        "description",
    )

    def _items(self, problems: QuerySet, as_of: datetime.date, pending: bool):
        subject = _("resolve the problem 「%(category)s」: %(description)s")
        return [
            OverdueItem(
                rule=self.id,
                article=self.article,
                period=found_on.isoformat(),
                period_start=found_on,
                period_end=due,
                due=due,
                days_overdue=0 if pending else (as_of - due).days,
                household=number,
                village=village,
                cadre=None,
                department=department,
                subject=subject % {"category": category, "description": description},
            )
            for found_on, due, number, village, department, category, description in (
                problems.values_list(*self._COLUMNS)
            )
        ]

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[OverdueItem]:
        # One query: problems found on or after `since`, due before `as_of`, open on `as_of`.
        problems = self._open(user, as_of, filters).filter(
            problem_late_q(as_of), found_on__gte=since
        )
        return self._items(problems, as_of, pending=False)

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> list[OverdueItem]:
        problems = self._open(user, as_of, filters).filter(
            found_on__lte=as_of, due__gte=as_of, due__lte=due_soon_until(self.id, as_of)
        )
        return self._items(problems, as_of, pending=True)


@register(order=50)
class EmergencyAidRule(Rule):
    """A 救急难 case not aided within the days in force on the day it was reported (art. 40)."""

    id = "emergency.aid"
    article = 40
    title = "a 救急难 case aided within days of its report"

    def _open(self, user: User | AnonymousUser, as_of: datetime.date, filters: Filters):
        if filters.department and filters.department != CIVIL_AFFAIRS:
            return EmergencyCase.objects.none()
        # The case's cadre sees it after a handover too (docs/design.md, attribution).
        cases = attributed(
            user, EmergencyCase.objects.filter(_open_on(as_of, "aided_on")), cadre="cadre_id"
        )
        if filters.village:
            cases = cases.filter(household__village__name=filters.village)
        if filters.cadre:
            cases = cases.filter(cadre__user__username=filters.cadre)
        return cases.select_related("household__village", "cadre__user")

    @staticmethod
    def _due_before(day: datetime.date) -> Q:
        """Cases whose due date (report + the days in force on the report day) is before `day`
        (one query)."""
        return in_force("emergency.aid", "days").due_before("reported_on", day)

    def _item(
        self, case: EmergencyCase, as_of: datetime.date, pending: bool, days: InForce
    ) -> OverdueItem:
        due = case.reported_on + datetime.timedelta(days=days.on(case.reported_on))
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

    def _items(
        self, cases: Iterable[EmergencyCase], as_of: datetime.date, pending: bool
    ) -> list[OverdueItem]:
        days = in_force("emergency.aid", "days")
        return [self._item(case, as_of, pending, days) for case in cases]
