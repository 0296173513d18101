"""Demo 两不愁三保障: last year's and this year's assessments, and the gaps they opened, with a
realistic mix: most closed with evidence after a re-assessment, some open past their due day,
a few found lately and not yet due; one household in ten not yet assessed this year, a few
not assessed last year (overdue)."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from duties.models import Department
from duties.organisation.params import in_force
from households.assessments.models import AssessmentGap
from households.assessments.services import GAP_RULE
from households.models import Assessment, Household
from households.responsibility import ASSESSMENT_DEPARTMENTS

EVIDENCE = (
    "危房改造已竣工验收",
    "已纳入低保，按月发放",
    "已落实医疗救助",
    "已办理教育资助",
    "自来水已入户",
)


def seed_assessments(
    rng: random.Random,
    households: list[Household],
    departments: dict[str, Department],
    as_of: datetime.date,
) -> None:
    allowed = in_force(GAP_RULE, "days")  # read once, not once per gap

    def gap_due(found_on: datetime.date) -> datetime.date:
        return found_on + datetime.timedelta(days=allowed.on(found_on))

    # Last calendar year's round and this year's so far (rule assessment.due is per year).
    last_year = datetime.date(as_of.year - 1, rng.randint(3, 10), rng.randint(1, 28))
    this_year = datetime.date(as_of.year, 1, 1) + datetime.timedelta(
        days=rng.randint(0, max(0, (as_of - datetime.date(as_of.year, 1, 1)).days - 10))
    )
    first, second = [], []
    for household in households:
        if household.status == Household.Status.CLOSED:
            continue
        fixed = rng.random() < 0.6  # a gap found last year closed this year, or still open
        again = rng.random() < 0.9
        missed = rng.random() < 0.03  # not assessed last year: overdue for its cadre
        for item in Assessment.Item.values:
            met = rng.random() > 0.04
            if not missed:
                first.append(
                    Assessment(household=household, item=item, met=met, assessed_on=last_year)
                )
            if again:
                now_met = (fixed or met) and rng.random() > 0.01
                second.append(
                    Assessment(household=household, item=item, met=now_met, assessed_on=this_year)
                )
    Assessment.objects.bulk_create(first, batch_size=5000)
    Assessment.objects.bulk_create(second, batch_size=5000)
    later = {(a.household_id, a.item): a for a in second}
    gaps = []
    for found in first:
        if found.met:
            continue
        department = departments.get(ASSESSMENT_DEPARTMENTS[found.item][0])
        if department is None:
            continue
        reassessed = later.get((found.household_id, found.item))
        closed = reassessed is not None and reassessed.met
        gaps.append(
            AssessmentGap(
                household_id=found.household_id,
                item=found.item,
                department=department,
                found_by=found,
                found_on=found.assessed_on,
                due=gap_due(found.assessed_on),
                evidence=rng.choice(EVIDENCE) if closed else "",
                closed_by=reassessed if closed else None,
                closed_at=_moment(reassessed.assessed_on, rng) if closed and reassessed else None,
            )
        )
    open_households = {(g.household_id, g.item) for g in gaps if g.closed_at is None}
    for found in second:
        if not found.met and (found.household_id, found.item) not in open_households:
            department = departments.get(ASSESSMENT_DEPARTMENTS[found.item][0])
            if department is not None:
                gaps.append(
                    AssessmentGap(
                        household_id=found.household_id,
                        item=found.item,
                        department=department,
                        found_by=found,
                        found_on=found.assessed_on,
                        due=gap_due(found.assessed_on),
                    )
                )
    AssessmentGap.objects.bulk_create(gaps, batch_size=5000)


def _moment(day: datetime.date, rng: random.Random) -> datetime.datetime:
    """When the department closed the gap: a few days after the re-assessment, in office hours."""
    closed = day + datetime.timedelta(days=rng.randint(0, 5))
    return timezone.make_aware(
        datetime.datetime.combine(closed, datetime.time(rng.randint(9, 17), rng.randint(0, 59)))
    )
