"""Periods of a schedule and the generation of obligations from the schedules.

Calendar periods come from `xigang.periods` (a schedule's frequency names its kind of
period). `generate_obligations(through=...)` is idempotent: it creates, in bulk, the
obligations missing for every period that has started by `through`, and never touches one that
exists. `ensure_generated(through=...)` is what readers call first: three small queries when
nothing is missing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.utils.translation import gettext as _

from duties.models import (
    Duty,
    DutySchedule,
    GenerationMark,
    Obligation,
    Village,
)
from xigang.memo import once
from xigang.periods import Period, periods_from

Frequency = DutySchedule.Frequency
BATCH = 5000  # obligations built in memory at a time
ROWS_PER_INSERT = 1000  # at most; SQLite's variable limit makes Django send fewer


def periods(
    frequency: str, *, first: datetime.date, until: datetime.date | None, through: datetime.date
) -> Iterator[Period]:
    """The periods that start on or after `first`, before `until` (exclusive; None: open) and
    on or before `through`. A period belongs to the schedule in force on its first day."""
    if frequency == Frequency.ON_EVENT:
        return
    if frequency == Frequency.ONCE:
        if first <= through and (until is None or first < until):
            # Ends on the due day; the label is the day the schedule came into force.
            yield Period(first.isoformat(), first, first)
        return
    for period in periods_from(frequency, first):
        if period.start > through or (until is not None and period.start >= until):
            return
        yield period


def due_date(schedule: DutySchedule, period: Period) -> datetime.date:
    """Pure arithmetic: the due day counted from the period's first day, at most its last day
    (once: counted from the effective date, the year's end when no day is set)."""
    if schedule.frequency == Frequency.ONCE:
        if schedule.due_day is None:
            return datetime.date(period.start.year, 12, 31)
        return period.start + datetime.timedelta(days=schedule.due_day - 1)
    if schedule.due_day is None:
        return period.end
    return min(period.end, period.start + datetime.timedelta(days=schedule.due_day - 1))


def _obligation(schedule: DutySchedule, period: Period, **unit: Any) -> Obligation:
    due = due_date(schedule, period)
    return Obligation(
        schedule_id=schedule.pk,
        duty_id=schedule.duty_id,
        period_label=period.label,
        period_start=period.start,
        period_end=max(period.end, due),
        due=due,
        **unit,
    )


def _versions() -> list[tuple[DutySchedule, datetime.date | None]]:
    """Every schedule with the date its successor takes over (None: still in force)."""
    rows = list(DutySchedule.objects.select_related("duty").order_by("duty_id", "effective_from"))
    out = []
    for i, schedule in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        until = nxt.effective_from if nxt is not None and nxt.duty_id == schedule.duty_id else None
        out.append((schedule, until))
    return out


def planned(
    *,
    through: datetime.date,
    since: datetime.date | None = None,
    villages_after: int | None = None,
    existing: frozenset[tuple] | set[tuple] = frozenset(),
) -> Iterator[Obligation]:
    """The obligations (unsaved) of every period that starts on or before `through` and, when
    `since` is given, after it: one per period and responsible unit (each village for
    village-level duties). `villages_after`: only the village-level ones of the villages whose
    id is greater (villages added since the last generation). `existing`: the keys (duty,
    period start, department, village) of obligations left out. Pure computation after two
    queries."""
    villages = Village.objects.all()
    if villages_after is not None:
        villages = villages.filter(id__gt=villages_after)
    village_ids = list(villages.values_list("id", flat=True))
    for schedule, until in _versions():
        level = schedule.duty.level
        if level not in (Duty.Level.TOWN, Duty.Level.VILLAGE):
            continue
        if villages_after is not None and level != Duty.Level.VILLAGE:
            continue
        first = schedule.effective_from
        if since is not None and since >= first:
            if schedule.frequency == Frequency.ONCE:
                continue  # its one period starts on the effective date, generated already
            first = since + datetime.timedelta(days=1)
        for period in periods(schedule.frequency, first=first, until=until, through=through):
            if level == Duty.Level.TOWN:
                department_id = schedule.duty.department_id
                if (schedule.duty_id, period.start, department_id, None) not in existing:
                    yield _obligation(schedule, period, department_id=department_id)
            else:
                for village_id in village_ids:
                    if (schedule.duty_id, period.start, None, village_id) not in existing:
                        yield _obligation(schedule, period, village_id=village_id)


def save_in_batches(obligations: Iterable[Obligation]) -> None:
    """Insert, ignoring the rows that exist (the unique duty, period and unit): a row already
    there is left exactly as it is, so generating twice changes nothing."""
    obligations = iter(obligations)
    while batch := list(islice(obligations, BATCH)):
        Obligation.objects.bulk_create(batch, batch_size=ROWS_PER_INSERT, ignore_conflicts=True)


@transaction.atomic
def generate_obligations(
    *,
    through: datetime.date,
    since: datetime.date | None = None,
    villages_after: int | None = None,
) -> int:
    """Create the obligations missing for every period that starts on or before `through`
    (and, when `since` is given, after it). Idempotent; returns how many were created.

    Only the missing ones are built and sent: a full pass (after a schedule changed) finds
    nearly all there, and building and compiling each row for the database to ignore cost
    several times the inserts themselves. One generating at the same time is still ignored."""
    rows = Obligation.objects.all()
    if since is not None:
        rows = rows.filter(period_start__gt=since)
    if villages_after is not None:
        rows = rows.filter(village_id__gt=villages_after)
    existing = set(rows.values_list("duty_id", "period_start", "department_id", "village_id"))
    before = Obligation.objects.count()
    save_in_batches(
        planned(through=through, since=since, villages_after=villages_after, existing=existing)
    )
    return Obligation.objects.count() - before


SCHEDULE_COUNTS = ("schedule_count", "schedule_last_pk", "schedule_last_recorded_at")
VILLAGE_COUNTS = ("village_count", "village_last_pk")


def _counts() -> dict:
    """The schedules and the villages generation reads from, counted (two queries): adding,
    removing or editing any of them changes these."""
    schedules = DutySchedule.objects.aggregate(
        schedule_count=Count("id"),
        schedule_last_pk=Max("id"),
        schedule_last_recorded_at=Max("recorded_at"),
    )
    villages = Village.objects.aggregate(village_count=Count("id"), village_last_pk=Max("id"))
    return schedules | villages


def _unchanged(
    mark: GenerationMark, counts: dict, names: tuple[str, ...] = SCHEDULE_COUNTS + VILLAGE_COUNTS
) -> bool:
    return all(getattr(mark, name) == counts[name] for name in names)


@once  # a page asks for it from several rules and lists
def ensure_generated(*, through: datetime.date) -> None:
    """Make sure no period that started by `through` is missing. Three small queries (the mark
    and the two counts) when nothing is; otherwise it generates what is missing and moves the
    mark."""
    mark = GenerationMark.objects.filter(pk=1).first()
    counts = _counts()
    if mark is None:
        generate_obligations(through=through)
    elif _unchanged(mark, counts):
        if mark.through >= through:
            return
        generate_obligations(through=through, since=mark.through)
    elif _only_villages_added(mark, counts):
        # The common change (a village added): its obligations only, then the new periods.
        generate_obligations(through=mark.through, villages_after=mark.village_last_pk)
        if through > mark.through:
            generate_obligations(through=through, since=mark.through)
        through = max(through, mark.through)
    else:
        generate_obligations(through=through)
    _set_mark(through, counts, mark)


def _only_villages_added(mark: GenerationMark, counts: dict) -> bool:
    """Same schedules, and villages only added: the count grew by as many villages as there
    are above the highest one of the mark (one query when it has to count them)."""
    if not _unchanged(mark, counts, SCHEDULE_COUNTS):
        return False
    old_last, new_last = mark.village_last_pk, counts["village_last_pk"]
    if old_last is None or new_last is None or new_last <= old_last:
        return False
    added = counts["village_count"] - mark.village_count
    return added > 0 and added == Village.objects.filter(id__gt=old_last).count()


def mark_generated(*, through: datetime.date) -> None:
    """Record that everything through `through` was generated (after a full generation)."""
    _set_mark(through, _counts(), GenerationMark.objects.filter(pk=1).first())


def _set_mark(through: datetime.date, counts: dict, mark: GenerationMark | None) -> None:
    if mark is not None and _unchanged(mark, counts):
        through = max(through, mark.through)
    GenerationMark.objects.update_or_create(pk=1, defaults={"through": through, **counts})


def schedule_in_force(duty: Duty, on: datetime.date) -> DutySchedule | None:
    """The schedule of `duty` in force on `on` (the latest effective on or before it)."""
    return (
        DutySchedule.objects.filter(duty=duty, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )


def schedule_change(
    *,
    duty: Duty,
    frequency: str,
    due_day: int | None,
    evidence: str,
    effective_from: datetime.date,
    reason: str = "",
) -> DutySchedule:
    """A new schedule for `duty` from `effective_from` on (art. 44). Refused when obligations
    of the duty already exist for periods starting on or after that date: the past stays as it
    was."""
    from django.core.exceptions import ValidationError

    later = (
        Obligation.objects.filter(duty=duty, period_start__gte=effective_from)
        .exclude(schedule__effective_from__gte=effective_from)
        .order_by("-period_start")
        .values_list("period_start", flat=True)
        .first()
    )
    if later is not None:
        raise ValidationError(
            {
                "effective_from": _(
                    "obligations of this duty already exist for periods up to %(date)s; a new "
                    "schedule may only take effect after them"
                )
                % {"date": later.isoformat()}
            }
        )
    schedule = DutySchedule(
        duty=duty,
        frequency=frequency,
        due_day=due_day,
        evidence=evidence,
        effective_from=effective_from,
        reason=reason,
    )
    schedule.full_clean()
    schedule.save()
    return schedule
