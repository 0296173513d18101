"""Deterministic synthetic data for demos and benchmarks.

Each app that has demo data offers `APP.demo.seed(*, rng, scale, as_of)` (or another module
listed in DEMO_MODULES); a module that does not exist is skipped. Each module draws from its own
`random.Random` derived from the seed, so adding data to one app never changes another's.
"""

import datetime
import random
import time
from importlib import import_module

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

# In dependency order: the organisation, then households and pairings, visits, schedules.
DEMO_MODULES = (
    "duties.organisation.demo",
    "households.demo",
    "visits.demo",
    "duties.schedules.demo",
)
# A module's random stream is named after the module; these keep the names they had before
# the duties split, so that a seed still gives the same data.
STREAM_NAMES = {
    "duties.organisation.demo": "duties.demo",
    "duties.schedules.demo": "duties.schedule_demo",
}
SCALES = ("town", "county", "tiny")  # tiny: a handful of rows, for quick tests


def seed_all(*, seed: int, scale: str, as_of: datetime.date, log=None) -> list[str]:
    """Run every demo module that exists, in one transaction; returns the modules run."""
    ran = []
    with transaction.atomic():
        for name in DEMO_MODULES:
            try:
                module = import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            started = time.perf_counter()
            stream = STREAM_NAMES.get(name, name)
            module.seed(rng=random.Random(f"{seed}:{stream}"), scale=scale, as_of=as_of)
            ran.append(name)
            if log:
                log(name, time.perf_counter() - started)
    return ran


class Command(BaseCommand):
    help = "Load deterministic demo data: villages, cadres of every role, households, visits."

    def add_arguments(self, parser):
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

    def handle(self, *args, **options):
        from duties.models import Village

        if Village.objects.exists():
            if options["if_empty"]:
                self.stdout.write(_("Demo data not loaded: the database already has villages."))
                return
            raise CommandError(
                _("The database already has villages; demo data goes into an empty database.")
            )
        started = time.perf_counter()

        def log(name, seconds):
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
