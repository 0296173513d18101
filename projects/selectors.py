"""Reads of projects and assets, already scoped and joined."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, QuerySet, Sum

from duties.models import Village
from projects.models import Asset, Project
from xigang.scope import visible


def project_list(*, user: User | AnonymousUser, filters: dict[str, Any]) -> QuerySet[Project]:
    projects = visible(user, Project.objects.all())
    if filters.get("village"):
        projects = projects.filter(village=filters["village"])
    if filters.get("kind"):
        projects = projects.filter(kind=filters["kind"])
    if filters.get("year"):
        projects = projects.filter(planned_start__year=filters["year"])
    return (
        projects.select_related("village", "department")
        .annotate(total_funds=Sum("funds__amount"), notice_count=Count("notices", distinct=True))
        .order_by("-planned_start", "name", "pk")
    )


def asset_list(*, user: User | AnonymousUser, filters: dict[str, Any]) -> QuerySet[Asset]:
    assets = visible(user, Asset.objects.all())
    if filters.get("village"):
        assets = assets.filter(village=filters["village"])
    if filters.get("owner"):
        assets = assets.filter(owner=filters["owner"])
    if filters.get("year"):
        assets = assets.filter(registered_on__year=filters["year"])
    return assets.select_related("village", "manager", "project").order_by(
        "village__name", "name", "pk"
    )


def filter_villages(user: User | AnonymousUser) -> QuerySet[Village]:
    """The villages a list may be narrowed to: the user's own."""
    return visible(user, Village.objects.all()).order_by("name")
