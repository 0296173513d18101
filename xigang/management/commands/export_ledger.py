from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from xigang.commands import acting_user, add_user_argument
from xigang.ledgers import LedgerError, export_ledger, get_kind


class Command(BaseCommand):
    help = "Export an Excel ledger of the records in scope. KIND as in docs/ledger-formats.md."

    def add_arguments(self, parser):
        parser.add_argument("kind")
        parser.add_argument("file")
        add_user_argument(parser)

    def handle(self, *args, **options):
        user = acting_user(options["user"])
        try:
            kind = get_kind(options["kind"])(user)
        except LedgerError as exc:
            raise CommandError(str(exc)) from exc
        count = export_ledger(kind, options["file"])
        self.stdout.write(
            _("%(n)d rows written to %(file)s") % {"n": count, "file": options["file"]}
        )
