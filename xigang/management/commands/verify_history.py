"""Check the change history's hash chain; name the first entry that fails."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from xigang.history import verify_chain


class Command(BaseCommand):
    help = "Check that no change-history entry was edited, inserted or deleted (hash chain)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                _(
                    "the change history has been tampered with: entry %(id)d fails its %(reason)s "
                    "check (%(n)d entries before it are intact)"
                )
                % {
                    "id": report.broken_id,
                    "reason": _("link") if report.reason == "link" else _("content"),
                    "n": report.checked,
                }
            )
        self.stdout.write(_("change history intact: %(n)d entries") % {"n": report.checked})
