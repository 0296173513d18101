"""Anchor the change history's head outside the database (run daily from cron)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from xigang.security.anchors import anchor_path, anchor_write


class Command(BaseCommand):
    help = "Append a signed anchor of the change history's head to the anchor file and the log."

    def handle(self, *args, **options):
        anchor = anchor_write()
        self.stdout.write(
            _("history anchored: %(n)d entries, written to %(path)s")
            % {"n": anchor["count"], "path": anchor_path()}
        )
