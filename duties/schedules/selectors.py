"""Reads of the scheduled duties that views share: the on-event duties a user may record
events of, and the events recorded lately. Scoped through xigang.scope."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from duties.models import Duty, DutySchedule, Obligation
from xigang.scope import units_in_reach, visible

ON_EVENT = DutySchedule.Frequency.ON_EVENT
# 救急难 (art. 15, clause 3): also followed case by case by the emergency.aid rule (art. 40).
EMERGENCY_DUTY = (15, 3)


def event_duties(*, user: User | AnonymousUser, on: datetime.date) -> QuerySet[Duty]:
    """The duties scheduled on events on `on` whose unit is in the user's reach: a town-level
    duty when its department is, a village-level one when some village is. Each carries the
    in-force schedule's `due_day_in_force` and `evidence_in_force`. One query."""
    in_force = DutySchedule.objects.filter(duty=OuterRef("pk"), effective_from__lte=on).order_by(
        "-effective_from"
    )
    departments, villages = units_in_reach(user)
    return (
        Duty.objects.annotate(
            frequency_in_force=Subquery(in_force.values("frequency")[:1]),
            due_day_in_force=Subquery(in_force.values("due_day")[:1]),
            evidence_in_force=Subquery(in_force.values("evidence")[:1]),
        )
        .filter(frequency_in_force=ON_EVENT)
        .filter(
            Q(level=Duty.Level.TOWN, department__in=departments)
            | (Q(level=Duty.Level.VILLAGE) & Q(Exists(villages)))
        )
        .select_related("department")
        .order_by("article_id", "clause")
    )


def recent_events(*, user: User | AnonymousUser, limit: int = 20) -> QuerySet[Obligation]:
    """The obligations opened by events lately, in the user's scope, the latest event first."""
    return (
        visible(user, Obligation.objects.filter(schedule__frequency=ON_EVENT))
        .select_related("duty", "department", "village")
        .order_by("-period_start", "-id")[:limit]
    )
