"""`manage.py generate_obligations --through DATE`: create the missing obligations (idempotent)."""

import datetime
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.schedules.generation import generate_obligations, mark_generated


class Command(BaseCommand):
    help = "Create the obligations of every scheduled duty for each period started by a date."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--through",
            help="the last day whose periods are generated, YYYY-MM-DD (default: today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            through = (
                datetime.date.fromisoformat(options["through"])
                if options["through"]
                else timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError(
                _("「%(value)s」 is not a date; write it as 2026-07-15")
                % {"value": options["through"]}
            ) from exc
        created = generate_obligations(through=through)
        mark_generated(through=through)
        self.stdout.write(
            _("%(n)d obligations created through %(date)s.")
            % {"n": created, "date": through.isoformat()}
        )
