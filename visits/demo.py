"""Demo data for pairing work: two years of visits, routed problems, 救急难 cases.

`seed(rng=..., scale=..., as_of=...)` runs after the households helper has seeded households
and pairings. Deterministic for a given `rng` seed; everything is written with `bulk_create`.
Most periods are met; a realistic share is missed, some problems stay open past due.
"""

from __future__ import annotations

import datetime
import decimal
import random

from django.db import transaction

from duties.organisation.params import in_force
from households.models import Pairing
from visits.models import EmergencyCase, Problem, ProblemCategory, Visit
from xigang import demo
from xigang.periods import MONTHLY, QUARTERLY, periods_overlapping

BATCH = 5000
YEARS = 2
HOME_SHARE = 0.88  # quarters with a home visit
PHONE_SHARE = 0.8  # months with a phone call (besides months with a home visit)
PROBLEM_SHARE = 0.06  # home visits that find a problem
RESOLVED_SHARE = 0.8
EMERGENCY_SHARE = 0.01  # households with a 救急难 case

CONTENT = [
    "宣传扶贫政策，了解家庭收支情况",
    "了解“两不愁三保障”落实情况",
    "了解医疗报销和慢病卡办理情况",
    "了解子女上学和资助落实情况",
    "查看住房安全和饮水安全情况",
    "督促落实一户一策帮扶措施",
]
PHONE_CONTENT = [
    "电话询问近况和家庭收入",
    "电话了解身体状况和用药",
    "电话告知政策调整的内容",
    "电话提醒按时就医和复查",
]


def _day_in(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))


def _visits(rng: random.Random, pairings: list, first: datetime.date, as_of: datetime.date):
    """The visits of each pairing's span within the years shown, and the home visits among
    them as (household id, cadre id, day)."""
    visits: list[Visit] = []
    seen: set[tuple[int, int, str, datetime.date]] = set()
    home_visits: list[tuple[int, int, datetime.date]] = []

    def add(household_id: int, cadre_id: int, kind: str, on: datetime.date, content: str) -> None:
        key = (household_id, cadre_id, kind, on)
        if key in seen:
            return
        seen.add(key)
        # About one home visit in eighty reports a change of 两不愁三保障 (owing a re-assessment);
        # chosen by arithmetic, not by `rng`, so the rest of the demo draws as before.
        change = kind == Visit.Kind.HOME and (household_id * 31 + on.toordinal()) % 80 == 0
        visits.append(
            Visit(
                household_id=household_id,
                cadre_id=cadre_id,
                kind=kind,
                on=on,
                content=content,
                reports_change=change,
            )
        )
        if kind == Visit.Kind.HOME:
            home_visits.append((household_id, cadre_id, on))

    for household_id, cadre_id, start, end in pairings:
        span_start = max(start, first)
        span_end = min(end or as_of, as_of)
        if span_start > span_end:
            continue
        for quarter in periods_overlapping(QUARTERLY, span_start, span_end):
            if rng.random() < HOME_SHARE:
                on = _day_in(rng, max(quarter.start, span_start), min(quarter.end, span_end))
                add(household_id, cadre_id, Visit.Kind.HOME, on, rng.choice(CONTENT))
        for month in periods_overlapping(MONTHLY, span_start, span_end):
            if rng.random() < PHONE_SHARE:
                on = _day_in(rng, max(month.start, span_start), min(month.end, span_end))
                add(household_id, cadre_id, Visit.Kind.PHONE, on, rng.choice(PHONE_CONTENT))
    return visits, home_visits


def _problems(rng: random.Random, home_visits: list, as_of: datetime.date) -> list[Problem]:
    """Problems found on a share of the home visits, most of them resolved."""
    categories = list(ProblemCategory.objects.values_list("pk", "department_id", "name"))
    problems: list[Problem] = []
    days = in_force("problem.resolve", "days").on(as_of)
    for household_id, cadre_id, on in home_visits:
        if not categories or rng.random() >= PROBLEM_SHARE:
            continue
        category_id, department_id, name = rng.choice(categories)
        due = on + datetime.timedelta(days=days)
        resolved_on = None
        if rng.random() < RESOLVED_SHARE:
            resolved_on = on + datetime.timedelta(days=rng.randint(1, days + 20))
            if resolved_on > as_of:
                resolved_on = None
        problems.append(
            Problem(
                household_id=household_id,
                category_id=category_id,
                department_id=department_id,
                description=f"入户发现：{name}问题待解决",
                found_on=on,
                due=due,
                reported_by_id=cadre_id,
                resolved_on=resolved_on,
                resolution="已协调解决" if resolved_on else "",
            )
        )
    return problems


def _emergencies(
    rng: random.Random, pairings: list, first: datetime.date, as_of: datetime.date
) -> list[EmergencyCase]:
    """救急难 cases of a share of the households, reported to their last pairing cadre."""
    cases: list[EmergencyCase] = []
    last_pairing = {}
    for household_id, cadre_id, start, end in pairings:
        last_pairing[household_id] = (cadre_id, start, end)
    aid_days = in_force("emergency.aid", "days").on(as_of)
    for household_id, (cadre_id, start, end) in sorted(last_pairing.items()):
        if rng.random() >= EMERGENCY_SHARE:
            continue
        reported_on = _day_in(rng, max(first, start), min(end or as_of, as_of))
        aid_day = reported_on + datetime.timedelta(days=rng.randint(1, aid_days + 5))
        aided_on = None if aid_day > as_of or rng.random() < 0.1 else aid_day
        expense = decimal.Decimal(rng.randrange(5000, 80000, 100))
        cases.append(
            EmergencyCase(
                household_id=household_id,
                cadre_id=cadre_id,
                cause=rng.choice(EmergencyCase.Cause.values),
                description="突发大额支出",
                expense=expense,
                occurred_on=reported_on,  # reported the day it happened
                reported_on=reported_on,
                aided_on=aided_on,
                aid_amount=(expense * decimal.Decimal("0.3")).quantize(decimal.Decimal("1"))
                if aided_on
                else None,
            )
        )
    return cases


@demo.register(order=30)
@transaction.atomic
def seed(*, rng: random.Random, scale: str = "town", as_of: datetime.date) -> dict[str, int]:
    first = datetime.date(as_of.year - YEARS, as_of.month, 1)
    pairings = list(
        Pairing.objects.filter(start__lte=as_of)
        .order_by("household_id", "start", "id")
        .values_list("household_id", "cadre_id", "start", "end")
    )
    # One rng drawn in this order (visits, problems, cases): the demo stays deterministic.
    visits, home_visits = _visits(rng, pairings, first, as_of)
    Visit.objects.bulk_create(visits, batch_size=BATCH)
    problems = _problems(rng, home_visits, as_of)
    Problem.objects.bulk_create(problems, batch_size=BATCH)
    cases = _emergencies(rng, pairings, first, as_of)
    EmergencyCase.objects.bulk_create(cases, batch_size=BATCH)
    return {"visits": len(visits), "problems": len(problems), "emergencies": len(cases)}
