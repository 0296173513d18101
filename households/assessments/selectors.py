"""Reads of 两不愁三保障 gaps, each scoped through xigang.scope."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from households.assessments.models import AssessmentGap
from households.models import Household
from xigang.scope import visible

STATES = ("open", "closed", "all")


def gap_list(*, user: User | AnonymousUser, state: str = "open") -> QuerySet[AssessmentGap]:
    """The gaps the user sees (a department: those routed to it), joined for a list."""
    gaps = visible(user, AssessmentGap.objects.all()).select_related(
        "household__village", "department", "closed_by", "closed_user"
    )
    if state == "open":
        gaps = gaps.filter(closed_at__isnull=True)
    elif state == "closed":
        gaps = gaps.filter(closed_at__isnull=False)
    return (
        gaps.order_by("closed_at", "due", "id") if state != "open" else gaps.order_by("due", "id")
    )


def open_gaps(*, user: User | AnonymousUser, household: Household) -> list[AssessmentGap]:
    """A household's open gaps the user sees (one query)."""
    gaps = visible(user, AssessmentGap.objects.filter(household=household, closed_at__isnull=True))
    return list(gaps.select_related("department").order_by("due", "id"))
