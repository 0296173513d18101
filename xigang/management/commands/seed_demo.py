"""Deterministic synthetic data for demos and benchmarks.

Each app that has demo data registers its `seed(*, rng, scale, as_of)` with `xigang.demo`. Each
builder draws from its own `random.Random` derived from the seed and its module's name, so
adding data to one app never changes another's.
"""

import datetime
import random
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xigang import demo, kept
from xigang.obligations import state_refresh

SCALES = ("town", "county", "county2", "tiny")  # tiny: a handful of rows, for quick tests


def seed_all(
    *,
    seed: int,
    scale: str,
    as_of: datetime.date,
    log: Callable[[str, float], None] | None = None,
) -> list[str]:
    """Run every registered demo builder, in order and in one transaction; returns their names."""
    ran = []
    with transaction.atomic():
        for name, builder in demo.builders():
            started = time.perf_counter()
            builder(rng=random.Random(f"{seed}:{name}"), scale=scale, as_of=as_of)
            ran.append(name)
            if log:
                log(name, time.perf_counter() - started)
        started = time.perf_counter()
        state_refresh(households=None)  # the builders write in bulk: the stored state once
        if log:
            log("obligation state", time.perf_counter() - started)
    kept.compact()  # SQLite noted each seeded row: one row per table before the first page
    return ran


class Command(BaseCommand):
    help = "Load deterministic demo data: villages, cadres of every role, households, visits."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=SCALES, default="town")
        parser.add_argument("--seed", type=int, default=2019)
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            help="the day the data ends (default: today)",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when villages already exist"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from duties.models import Village

        if Village.objects.exists():
            if options["if_empty"]:
                self.stdout.write(_("Demo data not loaded: the database already has villages."))
                return
            raise CommandError(
                _("The database already has villages; demo data goes into an empty database.")
            )
        started = time.perf_counter()

        def log(name: str, seconds: float) -> None:
            self.stdout.write(f"  {name}: {seconds:.1f} s")

        seed_all(
            seed=options["seed"],
            scale=options["scale"],
            as_of=options["as_of"] or timezone.localdate(),
            log=log,
        )
        self.stdout.write(
            _("Demo data loaded (scale %(scale)s, seed %(seed)d) in %(seconds).1f s.")
            % {
                "scale": options["scale"],
                "seed": options["seed"],
                "seconds": time.perf_counter() - started,
            }
        )
