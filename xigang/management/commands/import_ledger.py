from django.core.management.base import BaseCommand, CommandError

from xigang.commands import acting_user, add_user_argument
from xigang.ledgers import LedgerError, get_kind, import_ledger


class Command(BaseCommand):
    help = "Import an Excel ledger (all-or-nothing). KIND as in docs/ledger-formats.md."

    def add_arguments(self, parser):
        parser.add_argument("kind")
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        add_user_argument(parser)

    def handle(self, *args, **options):
        user = acting_user(options["user"])
        try:
            kind = get_kind(options["kind"])(user)
            report = import_ledger(kind, options["file"], dry_run=options["dry_run"])
        except (LedgerError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(report.summary())
