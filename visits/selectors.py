"""Reads on visits, already scoped."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from households.models import Household
from visits.models import Visit
from xigang.scope import visible

HISTORY_LIMIT = 100


def household_visits(*, user: User | AnonymousUser, household: Household) -> QuerySet[Visit]:
    """The household's visits and calls in scope, latest first, with who made them."""
    return visible(
        user, Visit.objects.filter(household=household).select_related("cadre")
    ).order_by("-on", "-created_at")
