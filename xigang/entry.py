"""Entry times as evidence (issue 12): what a list "as of" a date counts, from go-live on.

A record's typed date says when a thing happened; its entry time (set by the server) says when
the portal learnt it. From the go-live date on, a list as of a day counts only what had been
entered by the end of that day, so a later back-fill never rewrites what the dashboard showed
then. Records dated before go-live are history: they count as of their own dates.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Case, DateField, F, Q, Value, When
from django.db.models.functions import Greatest, TruncDate
from django.utils import timezone

_installed_on: datetime.date | None = None  # read once: it never changes after installation


def go_live() -> datetime.date:
    """`XIGANG_GO_LIVE`, or else the day of installation (the row written by the migration
    xigang/0008_installation; today if the table has been emptied, as by a test flush)."""
    if settings.GO_LIVE is not None:
        return settings.GO_LIVE
    global _installed_on
    if _installed_on is None:
        from xigang.models import Installation

        row = Installation.objects.order_by("pk").values_list("installed_on", flat=True).first()
        if row is None:
            return timezone.localdate()
        _installed_on = row
    return _installed_on


def end_of(day: datetime.date) -> datetime.datetime:
    """The first instant after `day` in the portal's time zone (an entry time is before it
    when it was made on or before `day`)."""
    following = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    return timezone.make_aware(following)


def entry_day(entered_at: datetime.datetime | None) -> datetime.date | None:
    """The local day of an entry time."""
    return timezone.localdate(entered_at) if entered_at else None


def entry_time(entered_at: datetime.datetime | None) -> str | None:
    """An entry time as exports write it: local time, to the second."""
    return timezone.localtime(entered_at).strftime("%Y-%m-%d %H:%M:%S") if entered_at else None


def counts_on(
    *, dated: datetime.date, entered_at: datetime.datetime | None, live_from: datetime.date
) -> datetime.date:
    """The day a record counts from: its own date if it is history (dated before go-live) or
    carries no entry time (entered before entry times were kept), else the day it was entered."""
    if dated < live_from or entered_at is None:
        return dated
    return max(dated, timezone.localdate(entered_at))


def known_by(day: datetime.date, *, dated: str, entered: str) -> Q:
    """The rows that count as of `day`: history, without an entry time, or entered by the end
    of `day`."""
    return (
        Q(**{f"{dated}__lt": go_live()})
        | Q(**{f"{entered}__isnull": True})
        | Q(**{f"{entered}__lt": end_of(day)})
    )


def done_by(day: datetime.date, *, dated: str, entered: str) -> Q:
    """The rows whose `dated` thing (a resolution, an aid) counts as done by `day`: dated by
    then, and history, without an entry time, or entered by the end of `day`."""
    return Q(**{f"{dated}__lte": day}) & (
        Q(**{f"{dated}__lt": go_live()})
        | Q(**{f"{entered}__isnull": True})
        | Q(**{f"{entered}__lt": end_of(day)})
    )


def counts_from(*, dated: str, entered: str) -> Case:
    """SQL for `counts_on`: the day the row's `dated` thing counts from (`done_by` holds from
    that day on; NULL while undated)."""
    return Case(
        When(Q(**{f"{dated}__lt": go_live()}) | Q(**{f"{entered}__isnull": True}), then=F(dated)),
        default=Greatest(F(dated), TruncDate(entered)),
        output_field=DateField(),
    )


def known_from(*, dated: str, entered: str) -> Case:
    """SQL for the first day `known_by` holds for a row: the local day it was entered, or NULL
    when it counts on every day (history, or no entry time)."""
    return Case(
        When(
            Q(**{f"{dated}__lt": go_live()}) | Q(**{f"{entered}__isnull": True}),
            then=Value(None, output_field=DateField()),
        ),
        default=TruncDate(entered),
        output_field=DateField(),
    )
