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
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Expression, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duties.models import Cadre, Village
from duties.organisation.params import InForce, due_soon_until, in_force, period_steps
from households.models import Household, Pairing
from visits.models import EmergencyCase, Problem, Visit, VisitState, VisitStateBuilt
from visits.scopes import EMERGENCY_DEPARTMENT
from xigang import memo
from xigang.db_router import read_connection
from xigang.entry import counts_from, done_by, end_of, go_live, known_by, known_from
from xigang.obligations import (
    Filters,
    MetLater,
    OverdueItem,
    RoutedRecordRule,
    Rule,
    Tally,
    closed_late,
    met_later_of,
    register,
    register_state,
)
from xigang.periods import Period, Steps, stepped_period_of, stepped_periods_between
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
        ids = memo.rows(households.order_by().values_list(key, flat=True))
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


def _moment(value: object) -> datetime.datetime | None:
    """An entry time read by raw SQL (SQLite answers UTC text) as an aware datetime."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime.datetime) else parse_datetime(str(value))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


def _instant(moment: datetime.datetime) -> object:
    """An entry-time bound as the database compares it (SQLite stores UTC text)."""
    return connection.ops.adapt_datetimefield_value(moment)


def owed_sql(pairing: str) -> str:
    """Household h is under pairing on every day of period pr (see `unmet_query`)."""
    return f"""EXISTS (SELECT 1 FROM {pairing} p
                WHERE p.household_id = h.id AND p.start <= pr.ps
                  AND (p."end" IS NULL OR p."end" >= pr.ps))
   AND NOT EXISTS (SELECT 1 FROM {pairing} q
                    WHERE q.household_id = h.id AND q."end" >= pr.ps AND q."end" < pr.pe
                      AND NOT EXISTS (SELECT 1 FROM {pairing} r
                                       WHERE r.household_id = h.id
                                         AND r.start <= {_next_day('q."end"')}
                                         AND (r."end" IS NULL OR r."end" > q."end")))"""


def meeting_sql(pairing: str, kinds: int, bound: str) -> str:
    """The visits w that meet period pr for household h, under the extra condition `bound`."""
    return f"""SELECT {{}} FROM {Visit._meta.db_table} w
                    WHERE w.household_id = h.id AND w.kind IN ({", ".join("%s" for _ in range(kinds))})
                      AND w."on" >= pr.ps AND w."on" <= pr.pe
                      AND {bound}
                      AND EXISTS (SELECT 1 FROM {pairing} c
                                   WHERE c.household_id = h.id AND c.cadre_id = w.cadre_id
                                     AND c.start <= w."on"
                                     AND (c."end" IS NULL OR c."end" >= w."on"))"""


@dataclass(frozen=True)
class Listing:
    """What a list asks of a visit rule's rows: the periods, the households to look at, the
    as-of day, the cadres and attribution allowed (`xigang.scope`), and the households'
    condition if already computed (`_in_scope`)."""

    periods: list[Period]
    households: QuerySet
    as_of: datetime.date
    cadres: QuerySet | None = None
    attribution: Attribution | None = None
    scope: tuple[str, list] | None = None
    # The rows' village: its name for a list; its id for counts, named once grouped (`_fetch`).
    village: str = "v.name"


def _narrowed(
    sql: str,
    params: list,
    cadres: QuerySet | None,
    attribution: Attribution | None,
    within: str | None = None,
) -> tuple[str, list]:
    """The rows of `sql` attributed to `cadres` and shown by `attribution`; `within`: the
    alias of an outer query of `sql` whose WHERE takes the cadre condition."""
    if cadres is not None:
        cadre_sql, cadre_params = cadres.query.sql_with_params()
        if within:
            sql += f" AND {within}.cadre_id IN ({cadre_sql})"
        else:
            sql = f"SELECT * FROM ({sql}) unmet WHERE unmet.cadre_id IN ({cadre_sql})"  # noqa: S608
        params = [*params, *cadre_params]
    if attribution is not None and attribution.cadre_id is not None:
        sql, params = _attributed(sql, params, attribution)
    return sql, params


def _span_sql() -> str:
    """PostgreSQL reads the open rows of the periods' range (it plans no lookup per period);
    SQLite looks each period up, and a range would turn it from that."""
    return " AND s.period_start BETWEEN %s AND %s" if connection.vendor == "postgresql" else ""


def _span(periods: list[Period]) -> list[datetime.date]:
    """The parameters of `_span_sql`."""
    return [periods[0].start, periods[-1].start] if connection.vendor == "postgresql" else []


def _state_rows(in_scope: str) -> str:
    """The stored rows of a rule for the periods of the WITH clause (parameters: the rule and
    `_span`), with their households and villages, in scope."""
    return f"""  FROM periods pr
  JOIN {VisitState._meta.db_table} s ON s.rule = %s AND s.period_start = pr.ps{_span_sql()}
  JOIN {Household._meta.db_table} h ON h.id = s.household_id
  JOIN {Village._meta.db_table} v ON v.id = h.village_id
 WHERE {in_scope}"""


def unmet_query(
    ask: Listing,
    *,
    kinds: Iterable[str],
    later: bool = False,
    gate: tuple[str, list] = ("1 = 1", []),
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
    the visit's day, known as of `as_of`: dated before go-live (history) or entered by the end
    of `as_of` (`xigang.entry`), so that a later back-fill never changes a past list.
    Attributed: the cadre paired on the last day (the latest started). With `attribution` (a
    user's, from `xigang.scope`), only the rows it shows: `households` must then hold its reach
    and the households its cadre was ever paired with. With `later`, two more columns: the
    entry time and 补录 mark of the first visit entered after `as_of` that met the period since
    (None if none has)."""
    periods, households, as_of = ask.periods, ask.households, ask.as_of
    cadres, attribution = ask.cadres, ask.attribution
    kinds = list(kinds)
    cast = "::date" if connection.vendor == "postgresql" else ""
    values = ", ".join(f"(%s, %s{cast}, %s{cast})" for _ in periods)
    params: list = [value for i, p in enumerate(periods) for value in (i, p.start, p.end)]
    in_scope, household_params = ask.scope or _in_scope(households)
    pairing = Pairing._meta.db_table
    known = meeting_sql(pairing, len(kinds), '(w."on" < %s OR w.created_at < %s)')
    bounds = [go_live(), _instant(end_of(as_of))]
    later_sql, later_params = "", []
    if later:
        after = meeting_sql(pairing, len(kinds), "w.created_at >= %s")
        first = "ORDER BY w.created_at, w.id LIMIT 1"
        later_sql = (
            f",\n       ({after.format('w.created_at')} {first}) AS entered_at"
            f",\n       ({after.format('w.late_entry')} {first}) AS late_entry"
        )
        later_params = [*kinds, bounds[1], *kinds, bounds[1]]
    sql = f"""
WITH periods (idx, ps, pe) AS (VALUES {values})
SELECT h.number, {ask.village} AS village,
       (SELECT p.cadre_id FROM {pairing} p
         WHERE p.household_id = h.id AND p.start <= pr.pe AND (p."end" IS NULL OR p."end" >= pr.pe)
         ORDER BY p.start DESC, p.id DESC LIMIT 1) AS cadre_id,
       pr.idx{later_sql}
  FROM periods pr
 CROSS JOIN {Household._meta.db_table} h
  JOIN {Village._meta.db_table} v ON v.id = h.village_id
 WHERE {in_scope}
   AND {owed_sql(pairing)}
   AND NOT EXISTS ({known.format("1")})
   AND {gate[0]}
"""
    params += later_params + list(household_params) + kinds + bounds + gate[1]
    return _narrowed(sql, params, cadres, attribution)


def _late_periods(periods: list[Period]) -> tuple[str, list]:
    """The VALUES rows (index, start, end, the end of the day after the end) of `periods`
    and their parameters: a period met after that instant was overdue for a while."""
    date = "::date" if connection.vendor == "postgresql" else ""
    stamp = "::timestamptz" if connection.vendor == "postgresql" else ""
    values = ", ".join(f"(%s, %s{date}, %s{date}, %s{stamp})" for _ in periods)
    params: list = [
        value
        for i, p in enumerate(periods)
        for value in (i, p.start, p.end, _instant(end_of(p.end + datetime.timedelta(days=1))))
    ]
    return values, params


def met_later_query(
    ask: Listing,
    *,
    kinds: Iterable[str],
    gate: tuple[str, list] = ("1 = 1", []),
) -> tuple[str, list]:
    """The owed (household, period) rows that were overdue for a while and are met as of
    `as_of` by a 补录: not met by history nor by any visit entered by the end of the day after
    the period's last day, met by one entered by the end of `as_of`; with the first such entry
    time. For the trend: a past month-end keeps counting them (`dashboard.selectors.trend`).

    Driven from the 补录 visits (few), not from every household: a period can only have been
    overdue at a later month-end if it was met more than a month after its end, which is a
    补录 whenever the late-entry days are shorter than a month."""
    periods, households, as_of = ask.periods, ask.households, ask.as_of
    cadres, attribution = ask.cadres, ask.attribution
    kinds = list(kinds)
    values, params = _late_periods(periods)
    in_scope, household_params = ask.scope or _in_scope(households)
    pairing = Pairing._meta.db_table
    live_from, known_by_as_of = go_live(), _instant(end_of(as_of))
    visits = Visit._meta.db_table
    marks = ", ".join("%s" for _ in kinds)
    early = meeting_sql(pairing, len(kinds), '(w."on" < %s OR w.created_at < pr.pk)')
    met = meeting_sql(pairing, len(kinds), "w.created_at < %s")
    sql = f"""
WITH periods (idx, ps, pe, pk) AS (VALUES {values}),
candidates AS (SELECT DISTINCT w.household_id AS hid, pr.idx AS idx
                 FROM {visits} w JOIN periods pr ON w."on" >= pr.ps AND w."on" <= pr.pe
                WHERE w.late_entry AND w."on" >= %s AND w.created_at < %s AND w.kind IN ({marks}))
SELECT * FROM (
SELECT h.number, v.name,
       (SELECT p.cadre_id FROM {pairing} p
         WHERE p.household_id = h.id AND p.start <= pr.pe AND (p."end" IS NULL OR p."end" >= pr.pe)
         ORDER BY p.start DESC, p.id DESC LIMIT 1) AS cadre_id,
       pr.idx,
       ({met.format("MIN(w.created_at)")}) AS met_at
  FROM candidates k
  JOIN periods pr ON pr.idx = k.idx
  JOIN {Household._meta.db_table} h ON h.id = k.hid
  JOIN {Village._meta.db_table} v ON v.id = h.village_id
 WHERE {in_scope}
   AND {owed_sql(pairing)}
   AND NOT EXISTS ({early.format("1")})
   AND {gate[0]}
) later WHERE later.met_at IS NOT NULL
"""
    params += [live_from, known_by_as_of, *kinds]
    params += [*kinds, known_by_as_of] + list(household_params) + [*kinds, live_from] + gate[1]
    return _narrowed(sql, params, cadres, attribution, within="later")


def state_query(
    ask: Listing,
    *,
    rule: str,
    later: bool = False,
    gate: tuple[str, list] = ("1 = 1", []),
) -> tuple[str, list]:
    """`unmet_query`'s rows read from the stored state (`visits.state`): the rows still open
    (the partial index), and for a past as-of date those met only by visits entered after it
    (none with a date before go-live)."""
    periods, households, as_of = ask.periods, ask.households, ask.as_of
    cadres, attribution = ask.cadres, ask.attribution
    cast = "::date" if connection.vendor == "postgresql" else ""
    values = ", ".join(f"(%s, %s{cast})" for _ in periods)
    params: list = [value for i, p in enumerate(periods) for value in (i, p.start)]
    in_scope, household_params = ask.scope or _in_scope(households)
    extra = ", s.met_at AS entered_at, s.met_late AS late_entry" if later else ""
    select = f"SELECT h.number, {ask.village} AS village, s.cadre_id, pr.idx{extra}\n"
    select += f"{_state_rows(in_scope)}\n   AND "
    sql = f"WITH periods (idx, ps) AS (VALUES {values})\n{select}s.met_at IS NULL AND {gate[0]}"
    params += [rule, *_span(periods), *household_params, *gate[1]]
    # Nothing can have been entered after today, and a visit dated before go-live met its
    # period as of any day: no period ending before go-live has such rows.
    if as_of < timezone.localdate() and periods[-1].end >= go_live():
        sql += f"\nUNION ALL\n{select}s.met_at >= %s AND s.first_on >= %s AND {gate[0]}"
        params += [rule, *_span(periods), *household_params, _instant(end_of(as_of)), go_live()]
        params += gate[1]
    return _narrowed(sql, params, cadres, attribution)


def state_met_later_query(
    ask: Listing,
    *,
    rule: str,
    kinds: Iterable[str],
    gate: tuple[str, list] = ("1 = 1", []),
) -> tuple[str, list]:
    """`met_later_query`'s rows read from the stored state: met first by an entry after the
    day following the period and by the end of `as_of`, with a 补录 of the period entered by
    then."""
    periods, households, as_of = ask.periods, ask.households, ask.as_of
    cadres, attribution = ask.cadres, ask.attribution
    kinds = list(kinds)
    values, params = _late_periods(periods)
    in_scope, household_params = ask.scope or _in_scope(households)
    live_from, known_by_as_of = go_live(), _instant(end_of(as_of))
    marks = ", ".join("%s" for _ in kinds)
    sql = f"""
WITH periods (idx, ps, pe, pk) AS (VALUES {values})
SELECT * FROM (
SELECT h.number, v.name, s.cadre_id, pr.idx, s.met_at
{_state_rows(in_scope)}
   AND s.met_at >= pr.pk AND s.met_at < %s AND s.first_on >= %s
   AND EXISTS (SELECT 1 FROM {Visit._meta.db_table} w
                WHERE w.household_id = s.household_id AND w.late_entry
                  AND w."on" >= pr.ps AND w."on" <= pr.pe AND w."on" >= %s
                  AND w.created_at < %s AND w.kind IN ({marks}))
   AND {gate[0]}
) later WHERE later.met_at IS NOT NULL"""
    params += [rule, *_span(periods), *household_params]
    params += [known_by_as_of, live_from, live_from, known_by_as_of]
    params += [*kinds, *gate[1]]
    return _narrowed(sql, params, cadres, attribution, within="later")


def _first_rows(sql: str, params: list, first: int) -> tuple[str, list]:
    """The first `first` rows of `sql` (at least one, to carry the count) by period and
    household number, each with the count of all rows last: the database sorts and counts them
    in one pass and returns a page. Numbers compared as Python compares them (code points:
    SQLite's binary collation, PostgreSQL's "C")."""
    number = 'f.number COLLATE "C"' if connection.vendor == "postgresql" else "f.number"
    sql = f"SELECT f.*, COUNT(*) OVER () FROM ({sql}) f ORDER BY f.idx, {number} LIMIT %s"  # noqa: S608
    return sql, [*params, max(first, 1)]


def _covered(rule: str, steps: Steps, periods: list[Period]) -> tuple[str, list]:
    """The condition that the stored state covers `periods` under the calendar `steps`, as a
    constant term: the database evaluates it once, then skips the side it rules out."""
    from visits.state import steps_key  # the writer's module imports this one

    sql = f"""EXISTS (SELECT 1 FROM {VisitStateBuilt._meta.db_table} b
          WHERE b.rule = %s AND b.steps = %s AND b.first <= %s AND b.through >= %s)"""
    return sql, [rule, steps_key(steps), periods[0].start, periods[-1].end]


def _either(state: tuple[str, list], engine: tuple[str, list]) -> tuple[str, list]:
    """The stored state's rows where it covers the periods, else the engine's: one statement,
    so the number of queries does not depend on the source."""
    sql = f"SELECT * FROM ({state[0]}) st UNION ALL SELECT * FROM ({engine[0]}) en"  # noqa: S608
    return sql, [*state[1], *engine[1]]


class PairingRule(Rule):
    """A contact owed to each paired household once per calendar period."""

    article = 39
    kinds: tuple[str, ...]
    kind_owed: str  # the kind of visit that meets the current period (the entry's preselection)
    # Where the lists are read: "state" or "engine" (the reference); None: the setting.
    source: str | None = None
    _steps: Steps | None = None  # the calendar the periods asked were drawn from

    def _reads_state(self) -> bool:
        return (self.source or settings.OBLIGATION_SOURCE) == "state"

    def _calendar(self) -> Steps:
        self._steps = period_steps(self.id)
        return self._steps

    def subject(self, period: Period) -> str:
        raise NotImplementedError

    def why(self, *, pending: bool) -> str:
        """Why a household's period is listed, after its label (the cadre's home screen)."""
        raise NotImplementedError

    def periods(self, since: datetime.date, as_of: datetime.date) -> list[Period]:
        """The owed periods starting on or after `since` and ending before `as_of`, each of the
        frequency in force on its first day (art. 44; one query)."""
        return stepped_periods_between(self._calendar(), since, as_of)

    def current_period(self, as_of: datetime.date) -> Period:
        """The period in force that holds `as_of` (one query)."""
        return stepped_period_of(self._calendar(), as_of)

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

    def _ask(
        self,
        user: User | AnonymousUser,
        filters: Filters,
        periods: list[Period],
        as_of: datetime.date,
    ) -> Listing:
        """What a list of `user`'s asks (raises EmptyResultSet when nothing is in scope)."""
        households, attribution = self._households(user, filters)
        # The households' condition computed once, for both sources.
        scope = _in_scope(households)
        return Listing(periods, households, as_of, _cadre_filter(filters), attribution, scope)

    def _statement(
        self,
        state: Callable[[tuple[str, list]], tuple[str, list]],
        engine: Callable[[tuple[str, list]], tuple[str, list]],
        periods: list[Period],
    ) -> tuple[str, list]:
        """The engine's statement; reading the state, the stored rows where they cover
        `periods` and else the engine's, in one statement (each side gated by a condition)."""
        if not self._reads_state():
            return engine(("1 = 1", []))
        covered, params = _covered(self.id, self._steps or self._calendar(), periods)
        return _either(state((covered, params)), engine((f"NOT {covered}", params)))

    def _fetch(
        self,
        *,
        user: User | AnonymousUser,
        periods: list[Period],
        filters: Filters,
        grouped: bool,
        as_of: datetime.date,
        first: int | None = None,
    ) -> tuple[list[tuple[tuple, tuple]], int]:
        """The owed-and-unmet rows (household number, village, attributed cadre id, period
        index, and for a past as-of date the entry time and 补录 mark of the visit that met the
        period since), or with `grouped` their counts (village, cadre id, period index, count),
        each with its cadre's (username, name, department name), or Nones; with `first`, only
        the first rows in the list's order (oldest period first, then household number), with
        how many rows there are in all: two queries whatever the number of households or
        periods (three on PostgreSQL for a scope short of the whole town: its household ids
        first, see `unmet_query`)."""
        if not periods:
            return [], 0
        later = not grouped and as_of < timezone.localdate()  # nothing is entered after today
        try:
            ask = self._ask(user, filters, periods, as_of)
        except EmptyResultSet:  # nothing in the user's scope
            return [], 0
        if grouped:  # grouped by the village's id, then named: cheaper than by its name
            ask = replace(ask, village="h.village_id")
        sql, params = self._statement(
            lambda gate: state_query(ask, rule=self.id, later=later, gate=gate),
            lambda gate: unmet_query(ask, kinds=self.kinds, later=later, gate=gate),
            periods,
        )
        if grouped:
            sql = (
                f"SELECT v.name, g.cadre_id, g.idx, g.n FROM (SELECT g.village, g.cadre_id, "
                f"g.idx, COUNT(*) AS n FROM ({sql}) g GROUP BY g.village, g.cadre_id, g.idx) g "
                f"JOIN {Village._meta.db_table} v ON v.id = g.village"
            )
        elif first is not None:
            sql, params = _first_rows(sql, params, first)
        with read_connection(Visit).cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        total = len(rows)
        if first is not None:  # the count rides on each row; none found, none there
            total = rows[0][-1] if rows else 0
            rows = [row[:-1] for row in rows[:first]]
        at = 1 if grouped else 2  # the cadre id's column
        cadres = _cadres({row[at] for row in rows if row[at] is not None})
        nobody = (None, None, None)
        return [(row, cadres.get(row[at], nobody)) for row in rows], total

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
        rows, _n = self._fetch(
            user=user, periods=periods, filters=filters, grouped=True, as_of=as_of
        )
        dues = [p.end for p in periods]
        # Positional: a county's whole town builds ~100,000 of them.
        return [
            Tally(self.id, self.article, dues[index], village, department, username, name, count)
            for (village, _id, index, count), (username, name, department) in rows
        ]

    def _items(
        self,
        *,
        user: User | AnonymousUser,
        periods: list[Period],
        filters: Filters,
        as_of: datetime.date,
        pending: bool,
        first: int | None = None,
    ) -> tuple[list[OverdueItem], int]:
        """The items of `_fetch`'s rows (with `first`, the first ones) and how many there are."""
        rows, total = self._fetch(
            user=user, periods=periods, filters=filters, grouped=False, as_of=as_of, first=first
        )
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
        for row, (username, name, department) in rows:
            item = OverdueItem(
                **shared[row[3]],
                household=row[0],
                village=row[1],
                cadre=username,
                department=department,
                cadre_name=name,
            )
            if len(row) > 4:  # a past list: the 补录 that met the period since, if any
                item.entered_at, item.late_entry = _moment(row[4]), bool(row[5])
            items.append(item)
        return items, total

    def met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[MetLater]:
        """The periods overdue at some past day and met by a 补录 by `as_of`: (due, the day
        the 补录 was entered, count); two queries at most."""
        periods = self.periods(since, as_of)
        if not periods:
            return []
        try:
            ask = self._ask(user, filters, periods, as_of)
        except EmptyResultSet:
            return []
        sql, params = self._statement(
            lambda gate: state_met_later_query(ask, rule=self.id, kinds=self.kinds, gate=gate),
            lambda gate: met_later_query(ask, kinds=self.kinds, gate=gate),
            periods,
        )
        with read_connection(Visit).cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        counts: Counter[tuple[datetime.date, datetime.date]] = Counter()
        for _number, _village, _cadre, index, met_at in rows:
            moment = _moment(met_at)
            assert moment is not None  # the query keeps only the rows met
            counts[(periods[index].end, timezone.localdate(moment))] += 1
        return met_later_of(self.id, counts)

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[OverdueItem]:
        periods = self.periods(since, as_of)
        items, _n = self._items(
            user=user, periods=periods, filters=filters, as_of=as_of, pending=False
        )
        return items

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
        """Sorted, cut and counted in the database (`_first_rows`): a period's due day is its
        last, so the list's order is the periods' order, then the household's number."""
        periods = self.periods(since, as_of)
        if due_before is not None:
            periods = [p for p in periods if p.end < due_before]
        return self._items(
            user=user, periods=periods, filters=filters, as_of=as_of, pending=False, first=limit
        )

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> list[OverdueItem]:
        """The current period, owed (pairing through its last day as known) and not yet met."""
        periods = [self.current_period(as_of)]
        items, _n = self._items(
            user=user, periods=periods, filters=filters, as_of=as_of, pending=True
        )
        return items


@register(order=10)
class HomeVisitRule(PairingRule):
    id = "pairing.home_visit"
    label = gettext_lazy("Quarterly home visit")
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
    label = gettext_lazy("Monthly phone contact")
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


def _open_on(as_of: datetime.date, dated: str, entered: str) -> Q:
    """Not closed as of the end of `as_of`: no closing date, or one that does not count yet
    (`xigang.entry.done_by`: from go-live, the closing entry's time decides, not the typed
    date)."""
    return Q(**{f"{dated}__isnull": True}) | ~done_by(as_of, dated=dated, entered=entered)


def problem_late_q(as_of: datetime.date) -> Q:
    """The one definition of a late problem: known and still open on `as_of`, due before it."""
    return (
        _open_on(as_of, "resolved_on", "resolved_at")
        & known_by(as_of, dated="found_on", entered="created_at")
        & Q(due__lt=as_of)
    )


@register(order=40)
class ProblemResolveRule(RoutedRecordRule):
    """A problem still open on as_of after its due date (set when it was routed)."""

    id = "problem.resolve"
    label = gettext_lazy("Routed problem resolved")
    article = 38
    # Each item cites its category's article (e.g. 11 for housing); the rule (art. 38: route
    # and resolve) is listed under any of them, and under 38 with all its items.
    articles = range(1, 46)
    title = "a routed problem resolved by its due date"
    since_field = "found_on"
    started_field = "found_on"

    def scoped(self, user: User | AnonymousUser, filters: Filters) -> QuerySet:
        if filters.cadre:
            return Problem.objects.none()  # the department answers, not a cadre
        problems = visible(user, Problem.objects.all())
        if filters.article is not None and filters.article != self.article:
            problems = problems.filter(category__article_id=filters.article)
        if filters.village:
            problems = problems.filter(household__village__name=filters.village)
        if filters.department:
            problems = problems.filter(department__name=filters.department)
        return problems

    def open_q(self, as_of: datetime.date) -> Q:
        return _open_on(as_of, "resolved_on", "resolved_at") & known_by(
            as_of, dated="found_on", entered="created_at"
        )

    def closed_from(self) -> Expression:
        return counts_from(dated="resolved_on", entered="resolved_at")

    def known_from(self) -> Expression:
        return known_from(dated="found_on", entered="created_at")

    def due_soon_until(self, as_of: datetime.date) -> datetime.date:
        return due_soon_until(self.id, as_of)

    # The columns an item needs, read as values: building the model objects would cost the most.
    _COLUMNS = (
        "found_on",
        "due",
        "household__number",
        "household__village__name",
        "department__name",
        "category__name",
        "category__article_id",
        "description",
    )

    def items(self, records: QuerySet, as_of: datetime.date, *, pending: bool) -> list[OverdueItem]:
        subject = _("resolve the problem 「%(category)s」: %(description)s")
        return [
            OverdueItem(
                rule=self.id,
                article=article,
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
            for found_on, due, number, village, department, category, article, description in (
                records.values_list(*self._COLUMNS)
            )
        ]


@register(order=50)
class EmergencyAidRule(Rule):
    """A 救急难 case not aided within the days in force on the day of its event (art. 40).

    The clock runs from the event's date, not the report's. From go-live the aid counts from
    the day it was entered (its typed date stays what the office says), and a case counts as
    of a day only once entered; a case entered after its due day is marked a late entry."""

    id = "emergency.aid"
    label = gettext_lazy("Emergency aid")
    article = 40
    title = "a 救急难 case aided within days of its report"

    def _scoped(self, user: User | AnonymousUser, filters: Filters) -> QuerySet:
        """The cases in the user's scope under the filters, open or not."""
        if filters.department and filters.department != CIVIL_AFFAIRS:
            return EmergencyCase.objects.none()
        # The case's cadre sees it after a handover too (docs/design.md, attribution).
        cases = attributed(user, EmergencyCase.objects.all(), cadre="cadre_id")
        if filters.village:
            cases = cases.filter(household__village__name=filters.village)
        if filters.cadre:
            cases = cases.filter(cadre__user__username=filters.cadre)
        return cases

    def _open(self, user: User | AnonymousUser, as_of: datetime.date, filters: Filters):
        return (
            self._scoped(user, filters)
            .filter(
                _open_on(as_of, "aided_on", "aided_at"),
                known_by(as_of, dated="occurred_on", entered="created_at"),
            )
            .select_related("household__village", "cadre__user")
        )

    def met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[MetLater]:
        """Cases aided by an entry made after the day after their due day (one query)."""
        days = in_force("emergency.aid", "days")
        cases = self._scoped(user, filters).filter(
            days.due_before("occurred_on", as_of), occurred_on__gte=since
        )
        return closed_late(
            self.id,
            cases,
            clock="occurred_on",
            closed=counts_from(dated="aided_on", entered="aided_at"),
            known=known_from(dated="occurred_on", entered="created_at"),
            as_of=as_of,
            due_of=lambda day: day + datetime.timedelta(days=days.on(day)),
        )

    @staticmethod
    def _due_before(day: datetime.date) -> Q:
        """Cases whose due date (the event + the days in force on its day) is before `day`
        (one query)."""
        return in_force("emergency.aid", "days").due_before("occurred_on", day)

    def _item(
        self, case: EmergencyCase, as_of: datetime.date, pending: bool, days: InForce
    ) -> OverdueItem:
        due = case.occurred_on + datetime.timedelta(days=days.on(case.occurred_on))
        return OverdueItem(
            rule=self.id,
            article=self.article,
            period=case.occurred_on.isoformat(),
            period_start=case.occurred_on,
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
            entered_at=case.created_at,
            late_entry=case.late_entry,
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
            self._open(user, as_of, filters).filter(self._due_before(as_of), occurred_on__gte=since)
        )
        return self._items(cases, as_of, pending=False)

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> list[OverdueItem]:
        cases = list(
            self._open(user, as_of, filters)
            .filter(occurred_on__lte=as_of)
            .exclude(self._due_before(as_of))
        )
        return self._items(cases, as_of, pending=True)

    def _items(
        self, cases: Iterable[EmergencyCase], as_of: datetime.date, pending: bool
    ) -> list[OverdueItem]:
        days = in_force("emergency.aid", "days")
        return [self._item(case, as_of, pending, days) for case in cases]


def _refresh_state(households: list[int] | None) -> None:
    from visits.state import refresh  # it builds on this module

    refresh(households=households)


def _check_state(rebuild: bool) -> dict[str, int]:
    from visits.state import check

    return check(rebuild=rebuild)


register_state(refresh=_refresh_state, check=_check_state)
