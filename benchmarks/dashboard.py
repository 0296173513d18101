"""Benchmark of the dashboard: server time per request, beside the engine's hand-written SQL.

    DEBUG=1 python -m benchmarks.dashboard --scale town|county|county2 [--fresh] [--brief]
    DATABASE_URL=postgres://... DEBUG=1 python -m benchmarks.dashboard --scale county

It works in its own database (SQLite: /tmp/bench_dashboard_SCALE.sqlite3; PostgreSQL:
`bench_dashboard_SCALE`), seeded once by seed_demo's modules (through benchmarks.overdue) and
kept between runs; `--fresh` seeds again.

For an inspector (the whole town) and for the pairing cadre with the most households it times,
best of --repeat after one warm-up request, with Django's test Client (whole request: middleware,
scope, engine, template): `/`, the list's first page and `/dashboard/overdue.json` (and for the
cadre the phone home, `/visits/`, the `/` of whoever holds only that role), counting the
queries; each three ways: every answer computed (`xigang.kept.afresh`), the answers kept (no
write between requests), and right after a phone call that meets one of the cadre's overdue
months (recorded through the service in a transaction rolled back afterwards). Beside them: the engine alone (`overdue_items`, every rule) and benchmarks.overdue's
hand-written SQL for the two visit rules over the same periods (the bulk of the work; the other
rules have no baseline). Last, each role's pages of the load test, for one user of the role.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time

from benchmarks.database import use_database
from benchmarks.overdue import SCALES, hand_written_sql


def _best(fn, repeat: int):
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def _users(as_of: datetime.date):
    from django.contrib.auth.models import User
    from django.db.models import Count, Q

    from duties.models import Cadre
    from xigang import roles

    inspector = User.objects.filter(groups__name=roles.INSPECTOR, is_active=True).first()
    active = Q(pairings__start__lte=as_of) & (
        Q(pairings__end__isnull=True) | Q(pairings__end__gte=as_of)
    )
    cadre = (
        Cadre.objects.filter(user__groups__name=roles.PAIRING, user__is_active=True)
        .annotate(n=Count("pairings", filter=active))
        .order_by("-n", "pk")
        .select_related("user")
        .first()
    )
    assert cadre is not None, "seed_demo gives pairing cadres"
    return inspector, cadre.user, cadre.n


def _time_request(client, url: str, params: dict, repeat: int, *, cold: bool = True):
    """Best time, queries and response of a request; `cold`: every answer computed, none of
    the kept ones (xigang.kept) served."""
    from contextlib import nullcontext

    from django.db import connection

    from xigang import kept

    with kept.afresh() if cold else nullcontext():
        response = client.get(url, params)  # warm: session, caches
        assert response.status_code == 200, (url, response.status_code)
        executed = []

        def count(execute, sql, params, many, context):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url, params)
        best, response = _best(lambda: client.get(url, params), repeat)
    return best, len(executed), response


def _after_a_visit(client, url: str, params: dict, repeat: int, pairing) -> float:
    """Best time of the request right after a phone call meets one of the pairing cadre's
    overdue months (recorded through the service, rolled back afterwards): the kept answers
    that read what the call changed are computed again, the rest served."""
    from django.db import transaction

    from households.models import Household
    from visits.models import Visit
    from visits.services import visit_record
    from xigang import obligations

    client.get(url, params)  # every answer kept
    as_of = datetime.date.fromisoformat(params["as_of"])
    since = datetime.date.fromisoformat(params["since"])
    owed = obligations.overdue_items(
        user=pairing,
        as_of=as_of,
        since=since,
        filters=obligations.Filters(rule="pairing.phone_contact"),
    )[0]
    household = Household.objects.get(number=owed.household)

    def visit_then_request():
        with transaction.atomic():
            visit_record(
                household=household,
                cadre=pairing.cadre,
                kind=Visit.Kind.PHONE,
                on=owed.period_start,
                content="电话询问近况，家中一切正常，务工收入稳定。",
                entered_by=pairing,
            )
            started = time.perf_counter()
            client.get(url, params)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return elapsed

    return min(visit_then_request() for _ in range(repeat))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=list(SCALES), default="town")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="drop the bench database first")
    parser.add_argument(
        "--brief", action="store_true", help="the inspector and the cadre only, not every role"
    )
    args = parser.parse_args(argv)

    use_database(f"dashboard_{args.scale}", fresh=args.fresh)
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test Client's host; DEBUG off as in production
    from django.conf import settings
    from django.db import connection

    from benchmarks.overdue import _seed
    from households.models import Household
    from visits.models import Visit
    from xigang.overdue_query import default_since

    settings.OTP_REQUIRED = False  # the second factor is a sign-in step, not dashboard time
    as_of = args.as_of or datetime.date(2026, 11, 29)
    started = time.perf_counter()
    _seed(args.scale, as_of)
    seeded = time.perf_counter() - started
    with connection.cursor() as cursor:
        # Fresh bulk-seeded tables have no planner statistics (PostgreSQL would misplan the
        # rules) nor, on PostgreSQL, a visibility map (no index-only scan): as autovacuum leaves
        # them after a load.
        cursor.execute("VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE")
    since = default_since(as_of)
    print(
        f"{connection.vendor}, scale {args.scale}: {Household.objects.count()} households, "
        f"{Visit.objects.count()} visits (ready in {seeded:.1f} s); as of {as_of}, since {since}"
    )

    baseline = _sql_baseline(as_of, since, args.repeat)
    print(f"  hand-written SQL, both visit rules, whole town:   {baseline * 1000:8.1f} ms")
    inspector, pairing, households = _users(as_of)
    params = {"as_of": as_of.isoformat(), "since": since.isoformat()}
    for label, user in (
        ("inspector", inspector),
        (f"pairing cadre ({households} households)", pairing),
    ):
        _one_user(label, user, as_of, since, params, baseline, args.repeat, pairing)
    if not args.brief:
        _every_role(params, args.repeat)
        _desks(params, pairing, args.repeat)
    return 0


def _sql_baseline(as_of: datetime.date, since: datetime.date, repeat: int) -> float:
    """Both visit rules' hand-written SQL over the whole town: the time a page is compared to."""
    from django.db import connection

    from visits.rules import HomeVisitRule, PhoneContactRule

    total = 0.0
    for rule in (HomeVisitRule(), PhoneContactRule()):
        sql, params = hand_written_sql(rule.periods(since, as_of), rule.kinds, as_of)

        def run(sql=sql, params=params):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()

        run()
        total += _best(run, repeat)[0]
    return total


def _one_user(
    label, user, as_of, since, params: dict, baseline: float, repeat: int, pairing
) -> None:
    """The engine and the three dashboard pages for one user, beside the SQL baseline."""
    from django.test import Client

    from xigang import kept, obligations

    with kept.afresh():
        engine, items = _best(
            lambda: obligations.overdue_items(user=user, as_of=as_of, since=since), repeat
        )
    client = Client()
    client.force_login(user)
    print(f"  {label} {user.username}: {len(items)} overdue items")
    print(f"    engine, all rules:                   {engine * 1000:8.1f} ms")
    pages = [
        ("dashboard /", "/"),
        ("/dashboard/items/ (page 1)", "/dashboard/items/"),
        ("/dashboard/overdue.json", "/dashboard/overdue.json"),
        ("JSON's first page (limit 50)", "/dashboard/overdue.json?limit=50"),
    ]
    if user.groups.filter(name="帮扶责任人").exists():
        # The phone home: `/` for whoever holds only this role, /visits/ for everyone paired.
        pages.append(("cadre home /visits/", "/visits/"))
    print(f"    {'':28s} {'computed':>21s} {'kept':>20s} {'after a visit':>14s}")
    for name, url in pages:
        path, _sep, extra = url.partition("?")
        asked = {**params, **dict(p.split("=") for p in extra.split("&") if p)}
        best, queries, _response = _time_request(client, path, asked, repeat)
        warm, warm_queries, _response = _time_request(client, path, asked, repeat, cold=False)
        after = _after_a_visit(client, path, asked, repeat, pairing)
        print(
            f"    {name:28s} {best * 1000:8.1f} ms {queries:3d} queries "
            f"{warm * 1000:8.1f} ms {warm_queries:3d} queries {after * 1000:8.1f} ms  "
            f"(computed: {best / baseline:4.2f}x the SQL baseline)"
        )


def _every_role(params: dict, repeat: int) -> None:
    """The pages each role opens in the load test, for the first user of the role: a page that
    is slow for one role only shows here."""
    from django.contrib.auth.models import User
    from django.test import Client

    from benchmarks.load import PAGES

    print("  every role's pages (first user of each role):")
    for role, pages in PAGES.items():
        user = User.objects.filter(groups__name=role, is_active=True).order_by("pk").first()
        if user is None:
            continue
        client = Client()
        client.force_login(user)
        for url in pages:
            best, queries, _response = _time_request(client, url, params, repeat)
            print(f"    {role:6s} {url:28s} {best * 1000:8.1f} ms  {queries:3d} queries")


def _desks(params: dict, pairing, repeat: int) -> None:
    """The desks of issue 15 (each role's main pages) on the same data: 民政科's home, a village
    cadre's households list, household page and data checks, the inspector's full ranking and
    a person's record, the leader's approvals."""
    from django.contrib.auth.models import User
    from django.test import Client

    from households.models import Household
    from xigang import roles
    from xigang.scope import visible

    def first(role: str, **more) -> User | None:
        users = User.objects.filter(groups__name=role, is_active=True, **more)
        return users.order_by("pk").first()

    village_cadre = first(roles.VILLAGE)
    household = (
        visible(village_cadre, Household.objects.order_by("number")).first()
        if village_cadre
        else None
    )
    desks = [
        ("民政科 home /", first(roles.DEPARTMENT, cadre__department__name="民政科"), "/"),
        ("village cadre /households/", village_cadre, "/households/"),
        (
            "village cadre household page",
            village_cadre,
            f"/dashboard/households/{household.number}/" if household else None,
        ),
        ("village cadre /households/quality/", village_cadre, "/households/quality/"),
        ("inspector cadre ranking", first(roles.INSPECTOR), "/dashboard/rankings/cadre/"),
        (
            "inspector person page",
            first(roles.INSPECTOR),
            f"/dashboard/people/{pairing.username}/",
        ),
        ("leader /dashboard/approvals/", first(roles.LEADER), "/dashboard/approvals/"),
    ]
    print("  desks (issue 15):")
    for name, user, url in desks:
        if user is None or url is None:
            continue
        client = Client()
        client.force_login(user)
        best, queries, response = _time_request(client, url, params, repeat)
        print(
            f"    {name:36s} {best * 1000:8.1f} ms  {queries:3d} queries  "
            f"{len(response.content) // 1024:5d} KB"
        )


if __name__ == "__main__":
    sys.exit(main())
