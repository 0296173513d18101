"""Benchmark of obligation generation on the demo's villages.

    DEBUG=1 python -m benchmarks.generation --scale town|county [--fresh]
    DATABASE_URL=postgres://... DEBUG=1 python -m benchmarks.generation --scale county

It works in its own database (SQLite: /tmp/bench_generation_SCALE.sqlite3; PostgreSQL:
`bench_generation_SCALE`), holding seed_demo's organisation (villages, cadres) only, kept
between runs; `--fresh` seeds again. Each repeat empties the obligations, then times (best of
--repeat, each in one transaction):
- `generate_obligations` through the as-of date into the empty table (every row inserted);
- the same again (every row exists already: all conflicts, nothing written);
- `ensure_generated` once marked (nothing missing: the mark and two counts);
- the schedules' demo (`duties.schedules.demo.seed`: the same rows with their outcomes, and the
  公示).
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time

from benchmarks.database import use_database


def _seed(scale: str, as_of: datetime.date) -> None:
    from django.db import transaction

    from duties.models import Village
    from duties.organisation import demo

    if not Village.objects.exists():
        with transaction.atomic():
            # The same random stream as seed_demo's, so the villages are the demo's.
            demo.seed(rng=random.Random("2019:duties.demo"), scale=scale, as_of=as_of)


def _clear() -> None:
    from django.db import connection

    from duties.models import Disclosure, GenerationMark, Obligation

    # In SQL: the ORM's delete records each row in the change history, for minutes.
    with connection.cursor() as cursor:
        for model in (Obligation, Disclosure, GenerationMark):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def _timed(fn) -> float:
    from django.db import transaction

    started = time.perf_counter()
    with transaction.atomic():
        fn()
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("tiny", "town", "county"), default="town")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="drop the bench database first")
    args = parser.parse_args(argv)

    use_database(f"generation_{args.scale}", fresh=args.fresh)
    from django.db import connection

    from duties.models import Obligation, Village
    from duties.schedules import demo
    from duties.schedules.generation import ensure_generated, generate_obligations, mark_generated

    as_of = args.as_of or datetime.date(2026, 11, 30)
    _seed(args.scale, as_of)

    def seed_schedules() -> None:
        stream = random.Random("2019:duties.schedule_demo")  # seed_demo's, as for the villages
        demo.seed(rng=stream, scale=args.scale, as_of=as_of)

    times: dict[str, list[float]] = {"full": [], "again": [], "ensure": [], "demo": []}
    for _ in range(args.repeat):
        _clear()
        times["full"].append(_timed(lambda: generate_obligations(through=as_of)))
        times["again"].append(_timed(lambda: generate_obligations(through=as_of)))
        mark_generated(through=as_of)
        times["ensure"].append(_timed(lambda: ensure_generated(through=as_of)))
        _clear()
        times["demo"].append(_timed(seed_schedules))
    best = {name: min(values) for name, values in times.items()}
    print(
        f"{connection.vendor}, scale {args.scale}: {Village.objects.count()} villages, "
        f"{Obligation.objects.count()} obligations through {as_of} (best of {args.repeat})\n"
        f"  generate into an empty table {best['full']:7.3f} s\n"
        f"  generate again (all exist)   {best['again']:7.3f} s\n"
        f"  ensure_generated, marked     {best['ensure'] * 1000:7.1f} ms\n"
        f"  schedules' demo seed         {best['demo']:7.3f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
