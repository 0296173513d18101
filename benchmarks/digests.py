"""Benchmark of the day's run (notices.day.run_day): messages, escalations and digests.

    DEBUG=1 python -m benchmarks.digests --scale town|county [--as-of 2026-11-30]
    DATABASE_URL=postgres://... DEBUG=1 python -m benchmarks.digests --scale county

It works in its own database (SQLite: a file under /tmp; PostgreSQL: `bench_digests_SCALE`),
kept between runs so that the seeding is paid once; `--fresh` seeds again. The data comes from
seed_demo's modules. The as-of day is a Monday, every person's default digest weekday, so that
everyone with an item gets a weekly digest: the largest day there is.

It prints, for a first run (the tables emptied) and a second run of the same day (which adds
nothing): the time, the queries in all, the queries of each later batch of people (500 people a
batch; on SQLite an insert of many rows is split into statements of 999 parameters, so a batch
of people with more lines takes a few more) and what was made.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time

from benchmarks.database import use_database


def _seed(scale: str, as_of: datetime.date) -> None:
    from duties.models import Village
    from xigang.management.commands.seed_demo import seed_all

    if Village.objects.exists():
        return
    started = time.perf_counter()
    seed_all(seed=2019, scale=scale, as_of=as_of)
    print(f"seeded {scale} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _run(day: datetime.date) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from notices.day import run_day

    reset_queries()  # Django keeps the last 9,000 queries only
    marks: list[int] = []
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = run_day(day=day, progress=lambda done, total: marks.append(len(queries)))
        seconds = time.perf_counter() - started
    per_batch = [b - a for a, b in zip(marks, marks[1:], strict=False)]
    return {
        "seconds": seconds,
        "queries": len(queries),
        "first_batch": marks[0] if marks else len(queries),
        "per_batch": sorted(set(per_batch)),
        "report": report,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["tiny", "town", "county"], default="town")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--batch", type=int, help="people per batch (default: notices.day.BATCH)")
    args = parser.parse_args(argv)
    as_of = args.as_of or datetime.date(2026, 11, 30)
    day = as_of - datetime.timedelta(days=as_of.weekday())  # that week's Monday
    use_database(f"digests_{args.scale}", fresh=args.fresh)
    _seed(args.scale, as_of)

    from django.contrib.auth import get_user_model
    from django.db import connection

    from duties.schedules.generation import generate_obligations, mark_generated
    from notices import day as day_module

    if args.batch:
        day_module.BATCH = args.batch
    from notices.models import Digest, Escalation, Notice

    # The day's job generates the obligations first; timed apart (benchmarks.generation).
    generate_obligations(through=day)
    mark_generated(through=day)
    Notice.objects.all().delete()
    Digest.objects.all().delete()
    Escalation.objects.all().delete()
    people = get_user_model().objects.filter(is_active=True).count()
    first = _run(day)
    second = _run(day)
    print(
        f"digests, {args.scale}, {connection.vendor}, {day} (Monday): {people} people, "
        f"{first['report'].batches} batches of {day_module.BATCH}"
    )
    for name, run in (("first run", first), ("second run", second)):
        print(
            f"  {name}: {run['seconds']:.2f} s, {run['queries']} queries "
            f"({run['first_batch']} through the first batch, then per batch {run['per_batch']}); "
            f"{run['report']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
