"""`manage.py generate_obligations --through DATE`: create the missing obligations (idempotent)."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from duties.schedules.generation import generate_obligations, mark_generated
from xigang.commands import day_option


class Command(BaseCommand):
    help = "Create the obligations of every scheduled duty for each period started by a date."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--through",
            help="the last day whose periods are generated, YYYY-MM-DD (default: today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        through = day_option(options["through"])
        created = generate_obligations(through=through)
        mark_generated(through=through)
        self.stdout.write(
            _("%(n)d obligations created through %(date)s.")
            % {"n": created, "date": through.isoformat()}
        )
