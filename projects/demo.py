"""Demo projects and assets for `seed_demo`: a few projects per village and some town-level
ones each year, with their funds, 公示 before the start and after completion, acceptance, and
the assets the industry projects created with their yearly 收益分配; a realistic mix of done on
time, done late and missing. No file is stored (the demo stores no uploads): a 公示's file name
is recorded, its download answers "not found"."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from duties.models import Department, Village
from projects.models import Asset, Distribution, Notice, Project, ProjectFund
from xigang import demo, roles

ON_TIME, LATE = 0.75, 0.15  # of each record owed; the rest missing
DAY = datetime.timedelta(days=1)
# kind -> (implementing department, names)
KINDS = {
    Project.Kind.INDUSTRY: ("农业办", ["光伏电站", "蔬菜大棚", "养殖小区", "林果基地", "扶贫车间"]),
    Project.Kind.INFRASTRUCTURE: ("农村道路管理站", ["村内道路硬化", "生产路", "桥涵"]),
    Project.Kind.PUBLIC_SERVICE: ("水利站", ["安全饮水工程", "文化广场", "卫生室改造"]),
}


def _days(rng: random.Random, due: datetime.date, *, before: bool) -> datetime.date | None:
    """The day a record owed by `due` was made: in time, late, or never (None)."""
    draw = rng.random()
    if draw < ON_TIME:
        return due - DAY * rng.randrange(0, 6) if before else due - DAY * rng.randrange(0, 8)
    if draw < ON_TIME + LATE:
        return due + DAY * rng.randrange(3, 40)
    return None


@demo.register(order=60)
@transaction.atomic
def seed(*, rng: random.Random, scale: str = "town", as_of: datetime.date) -> dict[str, int]:
    office = get_user_model().objects.filter(groups__name=roles.OFFICE).order_by("username").first()
    if office is None:
        return {"projects": 0, "assets": 0}
    departments = {d.name: d for d in Department.objects.all()}
    manager = departments["经管站"]
    units: list[Village | None] = [*Village.objects.order_by("id"), None]
    counts = {"projects": 0, "assets": 0, "distributions": 0}
    for village in units:
        for year in range(as_of.year - 3, as_of.year + 1):
            if rng.random() < 0.5:
                continue
            kind = rng.choice(list(KINDS))
            department_name, names = KINDS[kind]
            name = f"{year}年{rng.choice(names)}项目"
            planned = datetime.date(year, rng.randrange(3, 10), rng.randrange(1, 28))
            if (
                planned > as_of + DAY * 60
                or Project.objects.filter(name=name, village=village).exists()
            ):
                continue
            project = _project(
                rng, office, village, kind, departments[department_name], name, planned, as_of
            )
            counts["projects"] += 1
            if kind == Project.Kind.INDUSTRY and project.finished_on:
                counts["distributions"] += _asset(rng, office, project, manager, as_of)
                counts["assets"] += 1
    return counts


def _notice(
    office: User, stage: str, posted: datetime.date | None, as_of: datetime.date, **parent: Any
) -> None:
    if posted is None or posted > as_of:
        return
    Notice.objects.create(
        stage=stage,
        posted_on=posted,
        file="evidence/demo-公示.jpg",
        original_name="公示照片.jpg",
        content_type="image/jpeg",
        size=0,
        uploaded_by=office,
        **parent,
    )


def _project(
    rng: random.Random,
    office: User,
    village: Village | None,
    kind: str,
    department: Department,
    name: str,
    planned: datetime.date,
    as_of: datetime.date,
) -> Project:
    started = planned + DAY * rng.randrange(0, 30)
    finished = started + DAY * rng.randrange(60, 200)
    project = Project.objects.create(
        name=name,
        village=village,
        kind=kind,
        department=department,
        planned_start=planned,
        planned_finish=planned + DAY * 150,
        started_on=started if started <= as_of else None,
        finished_on=finished if finished <= as_of else None,
    )
    amount = Decimal(rng.randrange(10, 120) * 10000)
    ProjectFund.objects.create(project=project, source=ProjectFund.Source.SPECIAL, amount=amount)
    if rng.random() < 0.5:
        ProjectFund.objects.create(
            project=project, source=rng.choice(ProjectFund.Source.values[1:]), amount=amount / 4
        )
    _notice(
        office,
        Notice.Stage.BEFORE_START,
        _days(rng, project.start - DAY * 7, before=True),
        as_of,
        project=project,
    )
    if project.finished_on:
        _notice(
            office,
            Notice.Stage.AFTER_FINISH,
            _days(rng, project.finished_on + DAY * 10, before=False),
            as_of,
            project=project,
        )
        accepted = _days(rng, project.finished_on + DAY * 30, before=False)
        if accepted is not None and project.finished_on <= accepted <= as_of:
            project.accepted_on = accepted
            project.accepted_by = office
            project.accepted_at = project.created_at
            project.acceptance_note = "验收合格"
            project.save()
    return project


def _asset(
    rng: random.Random, office: User, project: Project, manager: Department, as_of: datetime.date
) -> int:
    assert project.finished_on is not None
    asset = Asset.objects.create(
        name=project.name.removesuffix("项目"),
        project=project,
        village=project.village,
        owner=Asset.Owner.VILLAGE if project.village else Asset.Owner.TOWN,
        value=sum(f.amount for f in project.funds.all()),
        manager=manager,
        registered_on=project.finished_on,
    )
    made = 0
    for year in range(asset.registered_on.year, as_of.year):
        decided = _days(rng, datetime.date(year + 1, 3, 31), before=False)
        if decided is None or decided > as_of:
            continue
        income = (asset.value * Decimal("0.06")).quantize(Decimal("1"))
        distribution = Distribution.objects.create(
            asset=asset,
            year=year,
            income=income,
            distributed=(income * Decimal("0.8")).quantize(Decimal("1")),
            households=rng.randrange(10, 60),
            decided_on=decided,
            recorded_by=office,
        )
        made += 1
        if rng.random() < 0.85:
            _notice(
                office,
                Notice.Stage.DISTRIBUTION,
                decided + DAY * rng.randrange(1, 5),
                as_of,
                distribution=distribution,
            )
    return made
