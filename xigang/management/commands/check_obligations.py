"""`manage.py check_obligations [--rebuild]`: compare each stored obligation state with a
recomputation from scratch (issue 18) and say how many rows differ; the daily run does the same
and rebuilds. Any difference is a bug: a write that went round the state's refresh."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from xigang.obligations import state_check


class Command(BaseCommand):
    help = "Compare the stored obligation states with a recomputation; --rebuild rebuilds them."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="rebuild the stored states after the check"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            found = state_check(rebuild=options["rebuild"])
        for rule, count in sorted(found.items()):
            self.stdout.write(
                _("%(rule)s: %(count)d rows differ from the recomputation")
                % {"rule": rule, "count": count}
            )
        if any(found.values()):
            raise CommandError(_("the stored obligation state differs from the recomputation"))
