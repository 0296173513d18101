"""Check the change history's hash chain, then the table against the latest anchor."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from xigang.history import verify_chain
from xigang.security.anchors import check_anchor


class Command(BaseCommand):
    help = (
        "Check that no change-history entry was edited, inserted or deleted (hash chain), and "
        "that none was cut off or rewritten since the latest anchor."
    )

    def handle(self, *args, **options):
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
        anchored = check_anchor(report.checked)
        if not anchored.ok:
            raise CommandError(
                _("the change history has been tampered with: %(problem)s")
                % {"problem": anchored.problem}
            )
        self.stdout.write(_("change history intact: %(n)d entries") % {"n": report.checked})
        if anchored.anchor is None:
            self.stdout.write(_("no anchor yet: run anchor_history daily"))
        else:
            self.stdout.write(
                _("matches the anchor of %(at)s (%(n)d entries)")
                % {"at": anchored.anchor["at"], "n": anchored.anchor["count"]}
            )
