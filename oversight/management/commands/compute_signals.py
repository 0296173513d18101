"""`compute_signals [--full]`: the daily 疑点 job (oversight.signals), incremental by default."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from oversight.signals import compute_signals


class Command(BaseCommand):
    help = "Find the 疑点 signals in the visits entered since the last run (--full: in all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="read every visit again")

    def handle(self, *args: Any, **options: Any) -> None:
        run = compute_signals(full=options["full"])
        self.stdout.write(
            f"visits read: {run.visits_read}, signals written: {run.signals_written}, "
            f"last visit: {run.last_visit_id}"
        )
