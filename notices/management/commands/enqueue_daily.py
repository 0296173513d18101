"""`manage.py enqueue_daily [--date YYYY-MM-DD]`: queue the day's work once (cron, a systemd
timer, `make run`); asked again the same day, it queues nothing."""

import datetime
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from notices import jobs


class Command(BaseCommand):
    help = "Queue the day's obligation generation, messages and digests (once a day)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--date", help="the day, YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = (
                datetime.date.fromisoformat(options["date"])
                if options["date"]
                else timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError(
                _("「%(value)s」 is not a date; write it as 2026-07-15")
                % {"value": options["date"]}
            ) from exc
        job, created = jobs.start_day(day=day)
        if created:
            self.stdout.write(_("Queued: %(title)s") % {"title": job.title})
        else:
            self.stdout.write(_("Already queued today: %(title)s") % {"title": job.title})
