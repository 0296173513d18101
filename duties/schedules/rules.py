"""Rules `duty.scheduled` (arts. 3-31, 33-36) and `disclosure.post` (art. 35).

- `duty.scheduled`: an obligation still open whose due date is before `as_of` is overdue; one
  done or waived is never. Obligations are generated through `as_of` first, so no period is
  missing (two or three small queries when nothing is). Periods starting on or after `since`.
- `disclosure.post`: a 公示 taken down after fewer days than the number in force on its first
  day (parameter disclosure.post/days, default 7, both ends counted) failed art. 35; it is listed
  once taken down, for 公示 first posted on or after `since`. The days are those its photos
  prove (`days_proven`, set by `duties.schedules.services.disclosure_record`: from the later of
  the typed first day and the entry of its first photo posted, to the earlier of the typed last
  day and the entry of its first photo taken down), never raised by a later edit.

Each item names the responsible unit and its people: the users holding the unit's scope
(department staff, village cadres and 包村干部); `cadre` is the first username, `cadre_name`
all their names. A fixed number of queries whatever the data size.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import cast

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, DateField, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duties.models import (
    DepartmentUserObjectPermission,
    Disclosure,
    Obligation,
    VillageUserObjectPermission,
)
from duties.organisation.params import due_soon_until, in_force
from duties.schedules.data import scheduled_articles
from duties.schedules.generation import ensure_generated
from xigang.obligations import Filters, MetLater, OverdueItem, Rule, closed_late, register
from xigang.scope import visible

People = dict[tuple[str, int], list[tuple[str, str]]]


def responsible_people(*, department_ids: Iterable[int], village_ids: Iterable[int]) -> People:
    """(unit kind, unit id) -> [(username, name)], sorted by username. Two queries at most."""
    found: People = defaultdict(list)
    for kind, model, codename, ids in (
        ("department", DepartmentUserObjectPermission, "work_in_department", department_ids),
        ("village", VillageUserObjectPermission, "work_in_village", village_ids),
    ):
        ids = set(ids)
        if not ids:
            continue
        rows = (
            model.objects.filter(
                content_object_id__in=ids, permission__codename=codename, user__is_active=True
            )
            .order_by("user__username")
            .values_list("content_object_id", "user__username", "user__cadre__name")
        )
        for unit_id, username, name in rows:
            found[(kind, unit_id)].append((username, name or username))
    return found


def _cadre_units(username: str, *, departments: bool = True) -> Q:
    """Rows of the units the named user holds the scope of (as a filter on the unit columns)."""
    villages = VillageUserObjectPermission.objects.filter(
        user__username=username, permission__codename="work_in_village"
    ).values("content_object_id")
    if not departments:
        return Q(village_id__in=villages)
    granted = DepartmentUserObjectPermission.objects.filter(
        user__username=username, permission__codename="work_in_department"
    ).values("content_object_id")
    return Q(department_id__in=granted) | Q(village_id__in=villages)


def _people_fields(people: People, kind: str, unit_id: int) -> dict:
    names = people.get((kind, unit_id), [])
    return {
        "cadre": names[0][0] if names else None,
        "cadre_name": "、".join(name for _u, name in names) or None,
    }


@register(order=70)
class ScheduledDutyRule(Rule):
    id = "duty.scheduled"
    label = gettext_lazy("Scheduled duty")
    article = 3
    articles = frozenset(scheduled_articles())
    title = "scheduled duty completed with evidence by its due date"

    def _open(self, user: User | AnonymousUser, filters: Filters) -> QuerySet:
        return self._scoped(user, filters).filter(status=Obligation.Status.OPEN)

    def met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[MetLater]:
        """Obligations completed (or waived) by an entry made after the day after their due
        day (one query; a closed obligation was generated before it was closed)."""
        obligations = self._scoped(user, filters).filter(
            # Closed after the due day's start (a superset of the late ones): a plain comparison
            # first, so that the day of the closure is worked out for these few rows only.
            Q(completed_at__gt=F("due")) | Q(waived_at__gt=F("due")),
            due__lt=as_of,
            period_start__gte=since,
        )
        closed = Case(
            When(status=Obligation.Status.OPEN, then=Value(None, output_field=DateField())),
            default=TruncDate(Coalesce("completed_at", "waived_at")),
            output_field=DateField(),
        )
        return closed_late(self.id, obligations, clock="due", closed=closed, as_of=as_of)

    def _scoped(self, user: User | AnonymousUser, filters: Filters) -> QuerySet:
        """The obligations in the user's scope under the filters, open or closed."""
        obligations = visible(user, Obligation.objects.all())
        if filters.village:
            obligations = obligations.filter(village__name=filters.village)
        if filters.department:
            obligations = obligations.filter(department__name=filters.department)
        if filters.article is not None:
            obligations = obligations.filter(duty__article_id=filters.article)
        if filters.cadre:
            obligations = obligations.filter(_cadre_units(filters.cadre))
        return obligations.order_by("due", "id")

    # The columns an item needs, read as values: building each Obligation with its duty,
    # schedule, department and village objects cost most of the rule's time at county scale.
    _COLUMNS = (
        "pk",
        "duty__article_id",
        "period_label",
        "period_start",
        "period_end",
        "due",
        "department_id",
        "department__name",
        "village_id",
        "village__name",
        "schedule_id",
        "duty__text",
        "schedule__evidence",
    )

    def _items(self, obligations: QuerySet, as_of: datetime.date) -> list[OverdueItem]:
        rows = list(obligations.values_list(*self._COLUMNS))
        # One reverse() for the whole list: tens of thousands of items at county scale.
        link = reverse("duties:obligation_complete", args=[0]).replace("/0/", "/%d/")
        people = responsible_people(
            department_ids={row[6] for row in rows if row[6]},
            village_ids={row[8] for row in rows if row[8]},
        )
        subjects: dict[int, str] = {}
        items = []
        for (
            pk,
            article,
            label,
            start,
            end,
            due,
            department_id,
            department,
            village_id,
            village,
            schedule_id,
            text,
            evidence,
        ) in rows:
            if schedule_id not in subjects:
                subjects[schedule_id] = _("%(duty)s (evidence: %(evidence)s)") % {
                    "duty": text,
                    "evidence": evidence,
                }
            unit = ("department", department_id) if department_id else ("village", village_id)
            items.append(
                OverdueItem(
                    rule=self.id,
                    article=article,
                    period=label,
                    period_start=start,
                    period_end=end,
                    due=due,
                    days_overdue=max(0, (as_of - due).days),
                    household=None,
                    village=village,
                    department=department,
                    subject=subjects[schedule_id],
                    link=link % pk,
                    **_people_fields(people, *unit),
                )
            )
        return items

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> Iterable[OverdueItem]:
        ensure_generated(through=as_of)
        obligations = self._open(user, filters).filter(overdue_q(as_of=as_of, since=since))
        return self._items(obligations, as_of)

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> Iterable[OverdueItem]:
        ensure_generated(through=as_of)
        obligations = self._open(user, filters).filter(
            due__gte=as_of, due__lte=due_soon_until(self.id, as_of)
        )
        return self._items(obligations, as_of)


def overdue_q(*, as_of: datetime.date, since: datetime.date) -> Q:
    """An obligation overdue as of `as_of`: open, past its due day, of a period starting on or
    after `since` (the dashboard's window, `xigang.overdue_query.default_since`); the 责任任务
    page marks and counts by the same test."""
    return Q(status=Obligation.Status.OPEN, due__lt=as_of, period_start__gte=since)


@register(order=80)
class DisclosurePostRule(Rule):
    id = "disclosure.post"
    label = gettext_lazy("Public notice posted")
    article = 35
    title = "公示 posted for its full period"

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> Iterable[OverdueItem]:
        if filters.department:
            return []  # a 公示 is a village's
        required = in_force("disclosure.post", "days").case("posted_from")  # one query
        disclosures = (
            visible(user, Disclosure.objects.all())
            .filter(posted_until__isnull=False, posted_until__lt=as_of, posted_from__gte=since)
            .annotate(required=required)
            .filter(days_proven__lt=required)
            .select_related("village")
        )
        if filters.village:
            disclosures = disclosures.filter(village__name=filters.village)
        if filters.cadre:
            disclosures = disclosures.filter(_cadre_units(filters.cadre, departments=False))
        rows = list(disclosures.order_by("posted_from", "id"))
        people = responsible_people(department_ids=(), village_ids={d.village_id for d in rows})
        return [
            OverdueItem(
                rule=self.id,
                article=self.article,
                period=d.posted_from.isoformat(),
                period_start=cast(datetime.date, d.proven_from),  # set on every save
                period_end=cast(datetime.date, d.posted_until),  # the query keeps set ones
                due=cast(datetime.date, d.proven_from) + datetime.timedelta(days=d.required - 1),
                days_overdue=d.required - d.days_proven,  # the days it was short
                household=None,
                village=d.village.name,
                department=None,
                subject=_("%(kind)s 公示 「%(title)s」 posted %(days)d days of %(required)d")
                % {
                    "kind": d.kind,
                    "title": d.title,
                    "days": d.days_proven,
                    "required": d.required,
                },
                **_people_fields(people, "village", d.village_id),
            )
            for d in rows
        ]
