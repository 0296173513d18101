"""Benchmark of the visit rules: the engine against a hand-written SQL query, same run.

    DEBUG=1 python -m benchmarks.overdue --scale town|county [--as-of 2026-11-29] [--tag NAME]
    DATABASE_URL=postgres://... DEBUG=1 python -m benchmarks.overdue --scale county

The entry-time conditions (issue 12) are on: go-live is set to the first day of the span, so
every visit in it is judged by its entry time (seed time), and the list is asked as of today so
that the seeded entries are known; the hand-written SQL carries the same condition.

It works in its own database (benchmarks.database: `bench_overdue_SCALE`, with `_TAG` appended
when `--tag` is given, so that checkouts with other migrations do not share one),
kept between runs so that the seeding is paid once; `--fresh` seeds again. The data comes from
seed_demo's modules.

For each of `pairing.home_visit` and `pairing.phone_contact` it times (best of --repeat):
- the engine: `Rule.overdue(...)` as the whole-town office sees it, OverdueItems built;
- the SQL: one hand-written query returning the same (household, period, cadre) rows, fetched;
checks that both return the same rows and prints the times and their ratio. Then it times
`pairing.assigned` (gaps in pairings) alone, the whole town's list and pending list.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time

from benchmarks.database import use_database

SCALES = {"tiny": 40, "town": 3000, "county": 60000, "county2": 120000}


def _seed(scale: str, as_of: datetime.date) -> None:
    from duties.models import Village
    from households.models import Household
    from xigang.management.commands.seed_demo import seed_all

    if Village.objects.exists():
        return
    seed_all(seed=2019, scale=scale, as_of=as_of)
    assert Household.objects.exists()


def hand_written_sql(periods, kinds, as_of: datetime.date) -> tuple[str, list]:
    """The same question as the engine, written by hand: periods as a VALUES list; a visit
    counts if dated before go-live or entered by the end of `as_of`."""
    from django.db import connection
    from django.utils import timezone

    from xigang.entry import go_live

    known_by = timezone.make_aware(
        datetime.datetime.combine(as_of + datetime.timedelta(days=1), datetime.time())
    )
    if connection.vendor == "postgresql":
        next_day = 'q."end" + 1'
        values = ", ".join("(%s, %s::date, %s::date)" for _ in periods)
    else:
        next_day = "date(q.\"end\", '+1 day')"
        values = ", ".join("(%s, %s, %s)" for _ in periods)
    params: list = []
    for index, period in enumerate(periods):
        params += [index, period.start, period.end]
    kind_marks = ", ".join("%s" for _ in kinds)
    sql = f"""
WITH periods (idx, ps, pe) AS (VALUES {values})
SELECT h.number, v.name,
       (SELECT p.cadre_id FROM households_pairing p
         WHERE p.household_id = h.id AND p.start <= pr.pe AND (p."end" IS NULL OR p."end" >= pr.pe)
         ORDER BY p.start DESC, p.id DESC LIMIT 1) AS cadre_id,
       pr.idx
  FROM periods pr
 CROSS JOIN households_household h
  JOIN duties_village v ON v.id = h.village_id
 WHERE EXISTS (SELECT 1 FROM households_pairing p
                WHERE p.household_id = h.id AND p.start <= pr.ps
                  AND (p."end" IS NULL OR p."end" >= pr.ps))
   AND NOT EXISTS (SELECT 1 FROM households_pairing q
                    WHERE q.household_id = h.id AND q."end" >= pr.ps AND q."end" < pr.pe
                      AND NOT EXISTS (SELECT 1 FROM households_pairing r
                                       WHERE r.household_id = h.id AND r.start <= {next_day}
                                         AND (r."end" IS NULL OR r."end" > q."end")))
   AND NOT EXISTS (SELECT 1 FROM visits_visit w
                    WHERE w.household_id = h.id AND w.kind IN ({kind_marks})
                      AND w."on" >= pr.ps AND w."on" <= pr.pe
                      AND (w."on" < %s OR w.created_at < %s)
                      AND EXISTS (SELECT 1 FROM households_pairing c
                                   WHERE c.household_id = h.id AND c.cadre_id = w.cadre_id
                                     AND c.start <= w."on"
                                     AND (c."end" IS NULL OR c."end" >= w."on")))
"""
    bounds = [go_live(), connection.ops.adapt_datetimefield_value(known_by)]
    return sql, params + list(kinds) + bounds


def _race(first, second, repeat: int):
    """Best time of each, run alternately so that both meet the same machine load."""
    best = [float("inf"), float("inf")]
    results = [None, None]
    for _ in range(repeat):
        for index, fn in enumerate((first, second)):
            started = time.perf_counter()
            results[index] = fn()
            best[index] = min(best[index], time.perf_counter() - started)
    return best[0], results[0], best[1], results[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SCALES), default="town")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=None)
    parser.add_argument("--since", type=datetime.date.fromisoformat, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="drop the bench database first")
    parser.add_argument("--tag", default="", help="a suffix for the bench database's name")
    args = parser.parse_args(argv)

    use_database(f"overdue_{args.scale}{'_' + args.tag if args.tag else ''}", fresh=args.fresh)
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from households.models import Household, Pairing
    from visits.models import Visit
    from visits.rules import HomeVisitRule, PhoneContactRule
    from xigang.commands import system_user

    seeded_as_of = args.as_of or datetime.date(2026, 11, 29)
    started = time.perf_counter()
    _seed(args.scale, seeded_as_of)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as autovacuum would have them after a load
    seeded = time.perf_counter() - started
    since = args.since or datetime.date(seeded_as_of.year - 2, seeded_as_of.month, 1)
    # Every visit of the span judged by its entry time, asked once the seed's entries are known.
    settings.GO_LIVE = since
    as_of = max(seeded_as_of, timezone.localdate())
    print(
        f"{connection.vendor}, scale {args.scale}: {Household.objects.count()} households, "
        f"{Pairing.objects.count()} pairings, {Visit.objects.count()} visits "
        f"(seeded in {seeded:.1f} s); as of {as_of}, since {since}"
    )
    user = system_user()
    same = [
        _compare(rule, user, as_of, since, args.repeat)
        for rule in (HomeVisitRule(), PhoneContactRule())
    ]
    _time_gaps(user, as_of, since, args.repeat)
    return 0 if all(same) else 1


def _time_gaps(user, as_of: datetime.date, since: datetime.date, repeat: int) -> None:
    """`pairing.assigned`: no SQL to race (its gaps are walked in Python over the pairings of
    the households with one ending in the span), so its time alone, and the pending list's."""
    from households.rules import PairingAssignedRule
    from xigang.obligations import Filters

    rule = PairingAssignedRule()
    t_overdue, items, t_pending, pending = _race(
        lambda: rule.overdue(user=user, as_of=as_of, since=since, filters=Filters()),
        lambda: rule.pending(user=user, as_of=as_of, filters=Filters()),
        repeat,
    )
    print(
        f"  {rule.id:22s} items {len(items):7d} in {t_overdue:7.3f} s; "
        f"pending {len(pending):5d} in {t_pending:7.3f} s"
    )


def _compare(rule, user, as_of: datetime.date, since: datetime.date, repeat: int) -> bool:
    """One visit rule: the engine's items and time beside the hand-written SQL's."""
    from django.db import connection

    from duties.models import Cadre
    from xigang.obligations import Filters

    periods = rule.periods(since, as_of)

    def engine(rule=rule):
        return rule.overdue(user=user, as_of=as_of, since=since, filters=Filters())

    sql, params = hand_written_sql(periods, rule.kinds, as_of)

    def raw(sql=sql, params=params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    raw()  # warm the caches the same way for both
    t_engine, items, t_sql, rows = _race(engine, raw, repeat)

    usernames = dict(Cadre.objects.values_list("pk", "user__username"))
    mine = sorted((i.household, i.period, i.cadre) for i in items)
    theirs = sorted((n, periods[i].label, usernames.get(c)) for n, _v, c, i in rows)
    same = mine == theirs
    print(
        f"  {rule.id:22s} {len(periods):2d} periods  items engine {len(items):7d} / "
        f"sql {len(rows):7d} {'same' if same else 'DIFFERENT'}  "
        f"engine {t_engine:7.3f} s  sql {t_sql:7.3f} s  ratio {t_engine / t_sql:5.2f}x"
    )
    return same


if __name__ == "__main__":
    sys.exit(main())
