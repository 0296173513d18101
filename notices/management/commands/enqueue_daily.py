"""`manage.py enqueue_daily [--date YYYY-MM-DD]`: queue the day's work once (cron, a systemd
timer, `make run`); asked again the same day, it queues nothing."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from notices import jobs
from xigang.commands import day_option


class Command(BaseCommand):
    help = "Queue the day's obligation generation, messages and digests (once a day)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--date", help="the day, YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        day = day_option(options["date"])
        job, created = jobs.start_day(day=day)
        if created:
            self.stdout.write(_("Queued: %(title)s") % {"title": job.title})
        else:
            self.stdout.write(_("Already queued today: %(title)s") % {"title": job.title})
