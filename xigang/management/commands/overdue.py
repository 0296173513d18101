"""`manage.py overdue`: the overdue (or, with --pending, soon due) obligations, as text, JSON or
an Excel workbook. It only formats what `xigang.obligations` computes."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from xigang import obligations
from xigang.commands import acting_user, add_user_argument
from xigang.ledgers import write_workbook
from xigang.overdue_query import FILTERS, OverdueQueryForm


def parse(options: dict) -> OverdueQueryForm:
    """The command's options through the one form of the overdue list's parameters; its errors,
    in the user's language, as a CommandError."""
    pending = options["pending"]
    if not pending and not options["since"]:
        raise CommandError(_("--since is required"))
    data = {key: options[key] for key in FILTERS}
    data["as_of"] = options["as_of"]
    data["since"] = options["as_of"] if pending else options["since"]
    form = OverdueQueryForm(data, today=timezone.localdate())
    if not form.is_valid():
        raise CommandError("\n".join(form.messages()))
    return form


class Command(BaseCommand):
    help = "List overdue obligations (or, with --pending, those falling due soon)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="YYYY-MM-DD")
        parser.add_argument("--since", help="YYYY-MM-DD (required unless --pending)")
        parser.add_argument("--village")
        parser.add_argument("--department")
        parser.add_argument("--cadre", help="username")
        parser.add_argument("--rule", help="rule id, e.g. pairing.home_visit")
        parser.add_argument("--article", help="article number, 1-45")
        parser.add_argument("--format", choices=["text", "json", "xlsx"], default="text")
        parser.add_argument("--output", help="file to write (required for xlsx)")
        parser.add_argument(
            "--pending", action="store_true", help="what falls due soon instead of what is late"
        )
        add_user_argument(parser)

    def handle(self, *args, **options):
        form = parse(options)
        as_of, since = form.cleaned_data["as_of"], form.cleaned_data["since"]
        filters = form.filters()
        user = acting_user(options["user"])
        if options["pending"]:
            items = obligations.pending_items(user=user, as_of=as_of, filters=filters)
        else:
            items = obligations.overdue_items(user=user, as_of=as_of, since=since, filters=filters)

        fmt = options["format"]
        output = options["output"]
        if fmt == "xlsx":
            if not output:
                raise CommandError(_("--output FILE is required for xlsx"))
            write_workbook(
                output,
                title="逾期事项" if not options["pending"] else "即将到期事项",
                subtitle=_("as of %(as_of)s, since %(since)s")
                % {"as_of": as_of.isoformat(), "since": since.isoformat()},
                headers=obligations.REPORT_HEADERS,
                rows=(obligations.report_row(item) for item in items),
            )
            return
        if fmt == "json":
            text = json.dumps(
                obligations.as_json(items, as_of=as_of, since=since), ensure_ascii=False, indent=2
            )
        else:
            lines = ["\t".join(obligations.REPORT_HEADERS)]
            lines += ["\t".join(str(v) for v in obligations.report_row(item)) for item in items]
            lines.append(_("%(n)d items") % {"n": len(items)})
            text = "\n".join(lines)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        else:
            self.stdout.write(text)
