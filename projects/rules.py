"""The obligations of projects and assets (arts. 10, 33, 35), each a clock with a due day.

- `project.notice_start` (art. 35): a project's 公示 is posted at least N days (default 7)
  before its start (the actual start once recorded, else the planned one); due = start - N.
- `project.notice_finish` (art. 35): a 公示 after completion within N days (default 10) of
  the completion date; due = finished + N.
- `project.acceptance` (art. 33, 验收): a finished project is accepted within N days (default
  30) of completion; due = finished + N.
- `asset.distribution` (arts. 10, 33, 35): each year's 收益分配 of each asset, with its 公示,
  within N days (default 90) after the year's end, for every year from the asset's
  registration on; due = 31 Dec + N. Period = the year.

Common semantics (pinned by tests/projects/test_rules.py), like `member_change.report`:
- N is the parameter in force on the day the clock starts (art. 44);
- a record meets the obligation from the day it counts (`xigang.entry.counts_on`: its typed date,
  or from go-live the day it was entered if later); as of a day, only what counts by then;
- overdue as of `as_of` when due < as_of and nothing met it by its due day; days_overdue =
  (the day it was met late, or as_of) - due, so a late 公示 stays on the record as late;
- pending (due soon) when not met yet and due falls between as_of and the due-soon window;
- `since` keeps the clocks starting on or after it (the asset's year starting on or after it);
- who answers: a village project's 公示 its village; a town-level project's 公示, and every
  acceptance, the implementing department; an asset's distribution its village and the
  department that manages it (经管站). No cadre answers: nothing under a cadre filter.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import ClassVar

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duties.models import Obligation
from duties.organisation.params import InForce, in_force
from duties.schedules.records import register_records
from projects.models import Asset, Distribution, Notice, Project
from xigang import memo
from xigang.entry import counts_on, go_live, known_by
from xigang.obligations import Filters, OverdueItem, Rule, register
from xigang.scope import scope_of, visible

ONE_DAY = datetime.timedelta(days=1)

# A clock: (its period's start, its due day, the day it was met or None, its item built on
# demand: most clocks are met, and building an item, its link and subject, is the cost).
Clock = tuple[datetime.date, datetime.date, datetime.date | None, Callable[[], OverdueItem]]


def clock_state(
    *, due: datetime.date, met: datetime.date | None, as_of: datetime.date, soon: datetime.date
) -> tuple[str | None, int]:
    """Pure arithmetic: ("overdue" | "pending" | None, days overdue) of a clock due on `due`,
    met on `met` (None: not yet) as of `as_of`; due soon up to `soon`."""
    if met is not None and met > as_of:
        met = None  # not known yet as of that day
    if due < as_of and (met is None or met > due):
        return "overdue", ((met or as_of) - due).days
    if met is None and as_of <= due <= soon:
        return "pending", 0
    return None, 0


def _counted(dated: datetime.date, entered_at: datetime.datetime | None) -> datetime.date:
    return counts_on(dated=dated, entered_at=entered_at, live_from=go_live())


def _reaches_units(user: User | AnonymousUser) -> bool:
    reach = scope_of(user)
    return reach.whole_town or bool(reach.village_ids or reach.department_ids)


class ClockRule(Rule):
    """A rule of one clock per record; subclasses list (record, clock start, due, met day)."""

    param: ClassVar[str]

    def _days(self) -> InForce:
        return in_force(self.id, "days")

    def clocks(
        self, user: User | AnonymousUser, filters: Filters, as_of: datetime.date
    ) -> Iterator[Clock]:
        """Every clock in the user's scope."""
        raise NotImplementedError

    def _list(
        self,
        user: User | AnonymousUser,
        filters: Filters,
        as_of: datetime.date,
        since: datetime.date | None,
    ) -> list[OverdueItem]:
        if filters.cadre or not _reaches_units(user):
            return []  # units answer, no cadre; a user of no unit reaches no record (no query)
        soon: datetime.date | None = None
        items = []
        # The parameters are read only once a record is found (the clocks read theirs so).
        for start, due, met, make in self.clocks(user, filters, as_of):
            if soon is None:
                window = in_force(self.id, "due_soon_days").on(as_of)
                soon = as_of + datetime.timedelta(days=window) if since is None else as_of
            state, days = clock_state(due=due, met=met, as_of=as_of, soon=soon)
            if since is not None and state == "overdue" and start >= since:
                item = make()
                item.days_overdue = days
                items.append(item)
            elif since is None and state == "pending":
                items.append(make())
        return items

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[OverdueItem]:
        return self._list(user, filters, as_of, since)

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> list[OverdueItem]:
        return self._list(user, filters, as_of, None)


def _projects(user: User | AnonymousUser, filters: Filters, as_of: datetime.date) -> QuerySet:
    projects = visible(user, Project.objects.all()).filter(
        known_by(as_of, dated="planned_start", entered="created_at")
    )
    if filters.village:
        projects = projects.filter(village__name=filters.village)
    return projects.select_related("village", "department").order_by("pk")


class NoticeRule(ClockRule):
    """A project's 公示 of one stage."""

    article = 35
    articles = (33, 35)
    stage: ClassVar[str]

    def clock(self, project: Project) -> datetime.date | None:
        raise NotImplementedError

    def due(self, start: datetime.date, days: int) -> datetime.date:
        raise NotImplementedError

    def clocks(
        self, user: User | AnonymousUser, filters: Filters, as_of: datetime.date
    ) -> Iterator[Clock]:
        projects = _projects(user, filters, as_of)
        if filters.department:  # a village's 公示 answers to no department
            projects = projects.filter(village__isnull=True, department__name=filters.department)
        # Both notice rules, overdue and pending, read the same projects: once a page.
        rows = [p for p in memo.rows(projects) if self.clock(p) is not None]
        if not rows:
            return
        days = self._days()
        met: dict[int, datetime.date] = {}
        notices = Notice.objects.filter(project__in=[p.pk for p in rows], stage=self.stage)
        for project_id, posted_on, uploaded_at in notices.values_list(
            "project_id", "posted_on", "uploaded_at"
        ):
            day = _counted(posted_on, uploaded_at)
            met[project_id] = min(day, met.get(project_id, day))
        for project in rows:
            start = self.clock(project)
            assert start is not None  # filtered above
            n = days.on(start)
            due = self.due(start, n)
            yield start, due, met.get(project.pk), partial(self._item, project, start, due, n)

    def _item(
        self, project: Project, start: datetime.date, due: datetime.date, days: int
    ) -> OverdueItem:
        subject = self.subject(project, days)
        return _project_item(
            self, project, start=start, due=due, village_answers=True, subject=subject
        )

    def subject(self, project: Project, days: int) -> str:
        raise NotImplementedError


def _project_item(
    rule: Rule,
    project: Project,
    *,
    start: datetime.date,
    due: datetime.date,
    village_answers: bool,
    subject: str,
) -> OverdueItem:
    by_village = village_answers and project.village is not None
    return OverdueItem(
        rule=rule.id,
        article=rule.article,
        period=start.isoformat(),
        period_start=start,
        period_end=start,
        due=due,
        days_overdue=0,
        household=None,
        village=project.village.name if project.village else None,
        cadre=None,
        department=None if by_village else project.department.name,
        subject=subject,
        link=reverse("projects:project_detail", args=[project.pk]),
    )


@register(order=100)
class NoticeStartRule(NoticeRule):
    id = "project.notice_start"
    label = gettext_lazy("Project notice before start")
    title = "a project's 公示 posted before its start"
    stage = Notice.Stage.BEFORE_START

    def clock(self, project: Project) -> datetime.date | None:
        return project.start

    def due(self, start: datetime.date, days: int) -> datetime.date:
        return start - datetime.timedelta(days=days)

    def subject(self, project: Project, days: int) -> str:
        return _("post the 公示 of the project 「%(name)s」 %(days)d days before its start") % {
            "name": project.name,
            "days": days,
        }


@register(order=101)
class NoticeFinishRule(NoticeRule):
    id = "project.notice_finish"
    label = gettext_lazy("Project notice after completion")
    title = "a project's 公示 posted after its completion"
    stage = Notice.Stage.AFTER_FINISH

    def clock(self, project: Project) -> datetime.date | None:
        return project.finished_on

    def due(self, start: datetime.date, days: int) -> datetime.date:
        return start + datetime.timedelta(days=days)

    def subject(self, project: Project, days: int) -> str:
        return _("post the 公示 of the completed project 「%(name)s」 within %(days)d days") % {
            "name": project.name,
            "days": days,
        }


@register(order=102)
class AcceptanceRule(ClockRule):
    id = "project.acceptance"
    label = gettext_lazy("Project completion acceptance")
    article = 33
    title = "a finished project accepted within days of its completion"

    def clocks(
        self, user: User | AnonymousUser, filters: Filters, as_of: datetime.date
    ) -> Iterator[Clock]:
        projects = _projects(user, filters, as_of).filter(finished_on__isnull=False)
        if filters.department:
            projects = projects.filter(department__name=filters.department)
        rows = memo.rows(projects)
        days = self._days() if rows else None
        for project in rows:
            assert days is not None  # read above
            finished = project.finished_on
            assert finished is not None  # filtered above
            n = days.on(finished)
            accepted = (
                _counted(project.accepted_on, project.accepted_at) if project.accepted_on else None
            )
            due = finished + datetime.timedelta(days=n)
            yield finished, due, accepted, partial(self._item, project, finished, due, n)

    def _item(
        self, project: Project, finished: datetime.date, due: datetime.date, days: int
    ) -> OverdueItem:
        subject = _("accept the completed project 「%(name)s」 within %(days)d days") % {
            "name": project.name,
            "days": days,
        }
        return _project_item(
            self, project, start=finished, due=due, village_answers=False, subject=subject
        )


@register(order=103)
class DistributionRule(ClockRule):
    id = "asset.distribution"
    label = gettext_lazy("Asset income distribution")
    article = 33
    articles = (10, 33, 35)
    title = "each asset's yearly 收益分配 recorded with its 公示"

    def clocks(
        self, user: User | AnonymousUser, filters: Filters, as_of: datetime.date
    ) -> Iterator[Clock]:
        assets = visible(user, Asset.objects.all()).filter(
            known_by(as_of, dated="registered_on", entered="created_at")
        )
        if filters.village:
            assets = assets.filter(village__name=filters.village)
        if filters.department:
            assets = assets.filter(manager__name=filters.department)
        rows = memo.rows(assets.select_related("village", "manager").order_by("pk"))
        if not rows:
            return
        days = self._days()
        met = _distributions_met([a.pk for a in rows])
        for asset in rows:
            for year in range(asset.registered_on.year, as_of.year + 1):
                end = datetime.date(year, 12, 31)
                due = end + datetime.timedelta(days=days.on(end))
                make = partial(self._item, asset, year, due)
                yield datetime.date(year, 1, 1), due, met.get((asset.pk, year)), make

    def _item(self, asset: Asset, year: int, due: datetime.date) -> OverdueItem:
        subject = _("record the %(year)d income distribution of 「%(asset)s」 with its 公示") % {
            "year": year,
            "asset": asset.name,
        }
        return OverdueItem(
            rule=self.id,
            article=self.article,
            period=str(year),
            period_start=datetime.date(year, 1, 1),
            period_end=datetime.date(year, 12, 31),
            due=due,
            days_overdue=0,
            household=None,
            village=asset.village.name if asset.village else None,
            cadre=None,
            department=asset.manager.name,
            subject=subject,
            link=reverse("projects:asset_detail", args=[asset.pk]),
        )


def _distributions_met(asset_ids: Iterable[int]) -> dict[tuple[int, int], datetime.date]:
    """(asset id, year) -> the day its distribution counts as met: recorded, and its 公示
    posted, whichever counts later (one query)."""
    recorded: dict[int, tuple[int, int, datetime.date]] = {}
    posted: dict[int, datetime.date] = defaultdict(lambda: datetime.date.max)
    rows = Distribution.objects.filter(asset_id__in=list(asset_ids)).values_list(
        "pk",
        "asset_id",
        "year",
        "decided_on",
        "recorded_at",
        "notices__posted_on",
        "notices__uploaded_at",
    )
    for pk, asset_id, year, decided_on, recorded_at, posted_on, uploaded_at in rows:
        recorded[pk] = (asset_id, year, _counted(decided_on, recorded_at))
        if posted_on is not None:
            posted[pk] = min(posted[pk], _counted(posted_on, uploaded_at))
    return {
        (asset_id, year): max(day, posted[pk])
        for pk, (asset_id, year, day) in recorded.items()
        if pk in posted
    }


# --- the scheduled duties these records meet (duties/schedules/data.py) --------------------


@register_records((33, 2), (36, 3))
def projects_of_period(obligation: Obligation, user: User | AnonymousUser) -> list[tuple[str, str]]:
    """项目申报、建设、验收材料 (33.2) and 扶贫产业项目 (36.3): the unit's projects started,
    finished or accepted in the period (36.3: industry projects only). One query."""
    start, end = obligation.period_start, obligation.period_end
    projects = visible(user, Project.objects.all()).filter(
        Q(started_on__range=(start, end))
        | Q(finished_on__range=(start, end))
        | Q(accepted_on__range=(start, end))
    )
    if obligation.duty.article_id == 36:
        projects = projects.filter(kind=Project.Kind.INDUSTRY)
    unit = (
        Q(village_id=obligation.village_id)
        if obligation.village_id
        else Q(department_id=obligation.department_id)
    )
    projects = projects.filter(unit)
    return [
        (str(p), reverse("projects:project_detail", args=[p.pk]))
        for p in projects.select_related("village").order_by("planned_start", "pk")
    ]


@register_records((10, 1), (10, 2), (33, 4))
def distributions_of_period(
    obligation: Obligation, user: User | AnonymousUser
) -> list[tuple[str, str]]:
    """扶贫资产管护台账 (10.x, 经管站) and 扶贫资产登记及收益分配台账 (33.4, a village): the
    收益分配 decided in the period of the assets the unit owns or manages. One query."""
    distributions = visible(user, Distribution.objects.all()).filter(
        decided_on__range=(obligation.period_start, obligation.period_end)
    )
    if obligation.village_id:
        distributions = distributions.filter(asset__village_id=obligation.village_id)
    else:
        distributions = distributions.filter(asset__manager_id=obligation.department_id)
    return [
        (
            _("%(asset)s: %(year)d income distribution") % {"asset": d.asset, "year": d.year},
            reverse("projects:asset_detail", args=[d.asset_id]),
        )
        for d in distributions.select_related("asset__village").order_by("decided_on", "pk")
    ]
