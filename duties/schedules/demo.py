"""Demo obligations and 公示 for `seed_demo`: every scheduled duty's periods through `as_of`,
with a realistic mix of done on time, done late, waived and missing, and each village's 公示
(most posted the full 7 days, a few taken down early).

Deterministic: every choice is drawn from `rng`, in the order of the generated obligations.
The rows are decided before they are written and written in bulk (no file is attached to the
demo's completions: the demo stores no uploads).
"""

from __future__ import annotations

import datetime
import random
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model

from duties.models import (
    DepartmentUserObjectPermission,
    Disclosure,
    Obligation,
    Village,
    VillageUserObjectPermission,
)
from duties.schedules.generation import mark_generated, planned, save_in_batches
from xigang import demo, roles

# Of the obligations already due: done on time, done late, waived; the rest stay missing.
ON_TIME, LATE, WAIVED = 0.72, 0.14, 0.02
DONE_BEFORE_DUE = 0.3  # of those not yet due
SHORT_POSTING = 0.1  # of the 公示, taken down before 7 days


def _first_user(
    model: type[DepartmentUserObjectPermission | VillageUserObjectPermission], codename: str
) -> dict[int | None, int]:
    """unit id -> the id of the first user (by username) holding the unit's scope."""
    first: dict[int | None, int] = {}
    rows = (
        model.objects.filter(permission__codename=codename)
        .order_by("user__username")
        .values_list("content_object_id", "user_id")
    )
    for unit_id, user_id in rows:
        first.setdefault(unit_id, user_id)
    return first


def _at(day: datetime.date, rng: random.Random) -> datetime.datetime:
    tz = ZoneInfo(settings.TIME_ZONE)
    return datetime.datetime.combine(
        day, datetime.time(9 + rng.randrange(8), rng.randrange(60)), tz
    )


@demo.register(order=40, name="duties.schedule_demo")  # its name before the duties split
def seed(*, rng: random.Random, scale: str, as_of: datetime.date) -> None:
    department_user = _first_user(DepartmentUserObjectPermission, "work_in_department")
    village_user = _first_user(VillageUserObjectPermission, "work_in_village")
    office = (
        get_user_model()
        .objects.filter(groups__name=roles.OFFICE)
        .order_by("username")
        .values_list("id", flat=True)
        .first()
    )

    def decide(o: Obligation) -> Obligation:
        user_id = department_user.get(o.department_id) or village_user.get(o.village_id)
        draw = rng.random()
        if o.due < as_of:
            if draw < ON_TIME:
                day = o.due - datetime.timedelta(days=rng.randrange(0, 20))
                day = max(day, o.period_start)
            elif draw < ON_TIME + LATE:
                day = o.due + datetime.timedelta(days=rng.randrange(1, 45))
            elif draw < ON_TIME + LATE + WAIVED and office:
                o.status = Obligation.Status.WAIVED
                o.waived_reason = "该项工作本期不适用（上级已统一安排）"
                o.waived_at = _at(o.due, rng)
                o.waived_by_id = office
                return o
            else:
                return o  # missing
            if day >= as_of:
                return o  # would be completed after the demo's last day: still missing
        elif draw < DONE_BEFORE_DUE:
            day = min(as_of - datetime.timedelta(days=1), o.due)
            if day < o.period_start:
                return o
        else:
            return o
        o.status = Obligation.Status.DONE
        o.completed_at = _at(day, rng)
        o.completed_by_id = user_id
        o.note = "材料已归档"
        return o

    save_in_batches(decide(o) for o in planned(through=as_of))
    mark_generated(through=as_of)
    _disclosures(rng, as_of)


def _disclosures(rng: random.Random, as_of: datetime.date) -> None:
    kinds = [k for k, _label in Disclosure.Kind.choices]
    rows = []
    for village_id, name in Village.objects.order_by("id").values_list("id", "name"):
        for year in range(2020, as_of.year + 1):
            for half in (1, 7):
                start = datetime.date(year, half, 1) + datetime.timedelta(days=rng.randrange(150))
                if start >= as_of:
                    continue
                kind = rng.choice(kinds)
                days = rng.randrange(4, 7) if rng.random() < SHORT_POSTING else rng.randrange(7, 11)
                last = start + datetime.timedelta(days=days - 1)
                # still posted on as_of: no last day, no count of days yet
                until, days_posted = (None, None) if last >= as_of else (last, days)
                rows.append(
                    Disclosure(
                        village_id=village_id,
                        kind=kind,
                        title=f"{name}{year}年{kind}公示",
                        posted_from=start,
                        posted_until=until,
                        days_posted=days_posted,
                        # as if each photo had been entered on the day it shows
                        proven_from=start,
                        days_proven=days_posted,
                    )
                )
    Disclosure.objects.bulk_create(rows, batch_size=2000)
