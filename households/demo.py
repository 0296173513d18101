"""Synthetic registry for demos and benchmarks: households, members with valid ID numbers,
pairings (with some handovers over two years), member changes (some reported late), 一户一策
plans and 两不愁三保障 assessments. Called by `manage.py seed_demo` after the organisation
(villages and 帮扶责任人 cadres already exist: they are queried, not created).

Deterministic (everything is drawn from `rng`); written with `bulk_create` in a few queries per
table. A few data-quality findings are planted on purpose so the checks page has something to
show: school-age children with no school status, 四有人员 flags, a 家庭人口 off by one.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

from duties.models import Cadre, Department, Village
from households.assessments.demo import seed_assessments
from households.models import (
    HelpMeasure,
    HelpPlan,
    Household,
    Member,
    MemberChange,
    Pairing,
    PlanStep,
)
from households.plans import ORDER
from households.responsibility import MEASURE_DEPARTMENTS
from xigang import demo, roles
from xigang.idnumber import compose

PER_VILLAGE = {"tiny": 5, "town": 50, "county": 50, "county2": 50}
AREAS = ("370481", "370402", "370403")
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊凤梅琴云莲真环雪荣爱妹香月莺媛"
STATUS_WEIGHTS = [
    (Household.Status.OUT_WITH_POLICY, 70),
    (Household.Status.POOR, 20),
    (Household.Status.OUT, 8),
    (Household.Status.CLOSED, 2),
]
CATEGORY_WEIGHTS = [
    (Household.Category.GENERAL, 60),
    (Household.Category.SUBSISTENCE, 30),
    (Household.Category.SUPPORTED, 10),
]


_T = TypeVar("_T")


def _pick(rng: random.Random, weighted: Sequence[tuple[_T, int]]) -> _T:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _name(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + "".join(
        rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))
    )


def _birth(rng: random.Random, as_of: datetime.date, low: int, high: int) -> datetime.date:
    return as_of - datetime.timedelta(days=rng.randint(low * 365, high * 365))


def _school(age: int) -> str:
    if age < 6:
        return Member.Schooling.PRESCHOOL if age >= 3 else ""
    if age <= 11:
        return Member.Schooling.PRIMARY
    if age <= 14:
        return Member.Schooling.JUNIOR
    if age <= 17:
        return Member.Schooling.SENIOR
    return Member.Schooling.NOT_IN_SCHOOL


class _Ids:
    """Unique, valid ID numbers."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def new(self, birth: datetime.date, male: bool) -> str:
        while True:
            sequence = self.rng.randrange(0, 1000, 2) + (1 if male else 0)
            number = compose(self.rng.choice(AREAS), birth, sequence % 1000)
            if number not in self.used:
                self.used.add(number)
                return number


@demo.register(order=20)
def seed(*, rng: random.Random, scale: str, as_of: datetime.date) -> None:
    villages = list(Village.objects.order_by("name"))
    cadres = list(Cadre.objects.filter(user__groups__name=roles.PAIRING).order_by("pk").distinct())
    departments = {d.name: d for d in Department.objects.all()}
    ids = _Ids(rng)
    per_village = PER_VILLAGE.get(scale, 50)
    two_years_ago = as_of.replace(year=as_of.year - 2, day=1)

    households: list[Household] = []
    rosters: list[list[Member]] = []
    for village in villages:
        for index in range(1, per_village + 1):
            roster = _roster(rng, ids, as_of)
            households.append(_household(rng, village, index, roster, as_of))
            rosters.append(roster)
    Household.objects.bulk_create(households, batch_size=2000)
    members = []
    for household, roster in zip(households, rosters, strict=True):
        for member in roster:
            member.household = household
            members.append(member)
    Member.objects.bulk_create(members, batch_size=2000)

    _seed_pairings(rng, households, cadres, two_years_ago, as_of)
    _seed_changes(rng, households, rosters, ids, two_years_ago, as_of)
    _seed_plans(rng, households, rosters, departments, as_of)


def _roster(rng: random.Random, ids: _Ids, as_of: datetime.date) -> list[Member]:
    """One household's members, head first, with the findings the quality page should show."""
    surname = rng.choice(SURNAMES)
    head_male = rng.random() < 0.8
    head_birth = _birth(rng, as_of, 30, 80)
    head = Member(
        id_number=ids.new(head_birth, head_male),
        name=_name(rng, surname),
        relation=Member.Relation.HEAD,
        health=rng.choice(["健康", "健康", "长期慢性病", "患有大病", "残疾"]),
        labour=rng.choice(["普通劳动力", "弱劳动力或半劳动力", "丧失劳动力"]),
        schooling=Member.Schooling.NOT_IN_SCHOOL,
    )
    roster = [head]
    if rng.random() < 0.75:
        roster.append(
            Member(
                id_number=ids.new(_birth(rng, as_of, 30, 75), not head_male),
                name=_name(rng),
                relation=Member.Relation.SPOUSE,
                health="健康",
                labour="普通劳动力",
                schooling=Member.Schooling.NOT_IN_SCHOOL,
            )
        )
    for _child in range(rng.choice((0, 1, 1, 2, 3))):
        birth = _birth(rng, as_of, 1, 25)
        male = rng.random() < 0.5
        age = (as_of - birth).days // 365
        schooling = _school(age)
        if 6 <= age <= 18 and rng.random() < 0.05:
            schooling = ""  # planted finding: school-age with no status
        roster.append(
            Member(
                id_number=ids.new(birth, male),
                name=_name(rng, surname),
                relation=Member.Relation.SON if male else Member.Relation.DAUGHTER,
                health="健康",
                labour="无劳动力" if age < 16 else "普通劳动力",
                schooling=schooling,
            )
        )
    if rng.random() < 0.2:
        roster.append(
            Member(
                id_number=ids.new(_birth(rng, as_of, 75, 92), rng.random() < 0.5),
                name=_name(rng),
                relation=Member.Relation.PARENT,
                health=rng.choice(["长期慢性病", "残疾", "患有大病"]),
                labour="丧失劳动力",
                schooling=Member.Schooling.NOT_IN_SCHOOL,
            )
        )
    for member in roster:
        if member.health == "残疾":
            member.disability_grade = rng.choice(["一级", "二级", "三级", "四级"])
    if rng.random() < 0.02:
        flag = rng.choice(["has_vehicle", "has_town_housing", "has_public_post", "has_business"])
        setattr(roster[0], flag, True)  # planted finding: 四有人员 to review
    return roster


def _household(
    rng: random.Random, village: Village, index: int, roster: list[Member], as_of: datetime.date
) -> Household:
    head = roster[0]
    status = _pick(rng, STATUS_WEIGHTS)
    identified = rng.choice((2014, 2015, 2016, 2017, 2018))
    exited = (
        None
        if status == Household.Status.POOR
        else rng.randint(max(identified, 2016), min(as_of.year, 2020))
    )
    size = len(roster) + (1 if rng.random() < 0.01 else 0)  # planted: size off by one
    return Household(
        number=f"{village.name}-{index:03d}",
        village=village,
        head_name=head.name,
        head_id_number=head.id_number,
        size=size,
        phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
        address=f"{village.name}{rng.randint(1, 300)}号",
        category=_pick(rng, CATEGORY_WEIGHTS),
        status=status,
        year_identified=identified,
        year_exited=exited,
        cause=rng.choice(Household.Cause.values),
        is_key=any(m.health != "健康" for m in roster) and rng.random() < 0.5,
    )


def _seed_pairings(
    rng: random.Random,
    households: list[Household],
    cadres: list[Cadre],
    since: datetime.date,
    as_of: datetime.date,
) -> None:
    if not cadres:
        return
    pairings = []
    span_days = (as_of - since).days
    for household in households:
        cadre = rng.choice(cadres)
        start = since + datetime.timedelta(days=rng.randint(0, 30))
        end = None
        if household.status == Household.Status.CLOSED:
            end = start + datetime.timedelta(days=rng.randint(60, span_days - 40))
        elif rng.random() < 0.15:  # a handover somewhere in the two years
            handover = start + datetime.timedelta(days=rng.randint(60, span_days - 40))
            pairings.append(
                Pairing(
                    household=household,
                    cadre=cadre,
                    start=start,
                    end=handover - datetime.timedelta(days=1),
                )
            )
            cadre = cadres[
                (cadres.index(cadre) + rng.randint(1, max(len(cadres) - 1, 1))) % len(cadres)
            ]
            start = handover
        pairings.append(Pairing(household=household, cadre=cadre, start=start, end=end))
    Pairing.objects.bulk_create(pairings, batch_size=2000)


def _seed_changes(
    rng: random.Random,
    households: list[Household],
    rosters: list[list[Member]],
    ids: _Ids,
    since: datetime.date,
    as_of: datetime.date,
) -> None:
    """Births and deaths over the two years, about one household in twenty; one in four is
    reported after the 30 days allowed."""
    changes = []
    newborns = []
    leaving = []
    changed_households = []
    for household, roster in zip(households, rosters, strict=True):
        if household.status == Household.Status.CLOSED or rng.random() > 0.05:
            continue
        happened = since + datetime.timedelta(days=rng.randint(0, (as_of - since).days - 100))
        delay = rng.randint(35, 90) if rng.random() < 0.25 else rng.randint(1, 30)
        reported = happened + datetime.timedelta(days=delay)
        elders = [m for m in roster if m.relation in (Member.Relation.PARENT,)]
        if elders and rng.random() < 0.5:
            member = elders[0]
            member.active = False
            member.left_on = happened
            leaving.append(member)
            household.size -= 1
            changes.append(_change(member, MemberChange.Kind.DEATH, happened, reported))
        else:
            baby = Member(
                household=household,
                id_number=ids.new(happened, rng.random() < 0.5),
                name=_name(rng, roster[0].name[0]),
                relation=Member.Relation.GRANDCHILD,
                health="健康",
                labour="无劳动力",
            )
            newborns.append(baby)
            household.size += 1
            changes.append(_change(baby, MemberChange.Kind.BIRTH, happened, reported))
        changed_households.append(household)
    Member.objects.bulk_create(newborns, batch_size=2000)
    Member.objects.bulk_update(leaving, ["active", "left_on"], batch_size=500)
    Household.objects.bulk_update(changed_households, ["size"], batch_size=500)
    MemberChange.objects.bulk_create(changes, batch_size=2000)


def _change(
    member: Member, kind: str, happened: datetime.date, reported: datetime.date
) -> MemberChange:
    return MemberChange(
        household=member.household,
        member=member,
        id_number=member.id_number,
        name=member.name,
        kind=kind,
        happened_on=happened,
        reported_on=reported,
    )


# 一户一策 states (art. 34), by share of the households with a plan owed: approved (and
# reviewed this year, or not), waiting for the town's approval, stuck before it, none at all.
PLAN_STATES = [("approved", 55), ("unreviewed", 10), ("pending", 15), ("stuck", 10), ("none", 10)]
WEEK = datetime.timedelta(days=7)


def _plan_steps(plan: HelpPlan, first: datetime.date, count: int) -> list[PlanStep]:
    """The first `count` steps of art. 34 a week apart from `first`."""
    return [
        PlanStep(plan=plan, step=step, done_on=first + i * WEEK)
        for i, step in enumerate(ORDER[:count])
    ]


def _seed_plans(
    rng: random.Random,
    households: list[Household],
    rosters: list[list[Member]],
    departments: dict[str, Department],
    as_of: datetime.date,
) -> None:
    plans = []
    wanted_measures = []
    steps: list[PlanStep] = []
    noon = datetime.datetime.combine(as_of, datetime.time(12), tzinfo=datetime.UTC)
    states, weights = zip(*PLAN_STATES, strict=True)
    for household, roster in zip(households, rosters, strict=True):
        if household.status in (Household.Status.CLOSED, Household.Status.OUT):
            continue
        state = rng.choices(states, weights)[0]
        if state == "none":
            continue
        approved = state in ("approved", "unreviewed")
        year = as_of.year - 1 if approved else as_of.year
        plan = HelpPlan(
            household=household,
            year=year,
            summary="",
            approved_on=datetime.date(year, 3, 1) if approved else None,
            approved_at=noon.replace(year=year, month=3, day=1) if approved else None,
        )
        plans.append(plan)
        first = datetime.date(year, 1, 10) if approved else as_of - 8 * WEEK
        steps += _plan_steps(plan, first, {"pending": 4, "stuck": 2}.get(state, 4))
        if state == "approved":
            steps.append(
                PlanStep(
                    plan=plan,
                    step=PlanStep.Step.REVIEW,
                    done_on=min(as_of, datetime.date(as_of.year, 1, 5)),
                )
            )
        kinds = set()
        if any(m.health == "残疾" for m in roster):
            kinds.add(HelpMeasure.Kind.DISABILITY)
        if any(m.schooling in ("小学", "初中", "高中") for m in roster):
            kinds.add(HelpMeasure.Kind.EDUCATION)
        if household.category != Household.Category.GENERAL:
            kinds.add(HelpMeasure.Kind.SUBSISTENCE)
        kinds.add(
            rng.choice(
                [
                    HelpMeasure.Kind.INDUSTRY,
                    HelpMeasure.Kind.EMPLOYMENT,
                    HelpMeasure.Kind.FILIAL,
                    HelpMeasure.Kind.NEIGHBOUR,
                    HelpMeasure.Kind.HOUSING_ENV,
                    HelpMeasure.Kind.POST,
                ]
            )
        )
        wanted_measures.append((plan, sorted(kinds)))
    HelpPlan.objects.bulk_create(plans, batch_size=2000)
    for step in steps:
        step.plan_id = step.plan.pk  # bulk_create gave the plans their ids after the steps
    PlanStep.objects.bulk_create(steps, batch_size=2000)
    measures = []
    for plan, plan_kinds in wanted_measures:
        for kind in plan_kinds:
            department = departments.get(MEASURE_DEPARTMENTS[kind])
            if department is None:
                continue
            # Delivered, late (due and not carried out) or pending (due later), by chance.
            due = as_of + datetime.timedelta(days=rng.randint(-120, 90))
            delivered = due < as_of and rng.random() < 0.7
            measures.append(
                HelpMeasure(
                    plan=plan,
                    kind=kind,
                    department=department,
                    due=due,
                    status=HelpMeasure.Status.DONE if delivered else HelpMeasure.Status.PLANNED,
                    done_on=due - WEEK if delivered else None,
                    done_at=noon if delivered else None,
                    evidence="已发放，户主签字确认" if delivered else "",
                    amount=Decimal(rng.choice((300, 600, 1200, 2400)))
                    if rng.random() < 0.6
                    else None,
                )
            )
    HelpMeasure.objects.bulk_create(measures, batch_size=2000)
    seed_assessments(rng, households, departments, as_of)
