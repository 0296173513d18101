"""Admin of the project and asset registers, every row through the scope. The records that
meet obligations (公示 files, acceptance, 收益分配) are entered on the project and asset pages,
through `projects.services`, which set their entry times and authors; here they are read."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from projects.models import Asset, Distribution, Notice, Project, ProjectFund
from xigang.admin import LedgerAdminMixin, ScopedAdmin, ScopedInline


class FundInline(ScopedInline, admin.TabularInline):
    model = ProjectFund
    extra = 1


class _ReadOnlyRecords(ScopedAdmin):
    """Records entered on the portal's pages: the admin lists and shows them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


@admin.register(Project)
class ProjectAdmin(LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "projects"
    inlines = [FundInline]
    list_display = [
        "name",
        "village",
        "kind",
        "department",
        "planned_start",
        "started_on",
        "finished_on",
        "accepted_on",
    ]
    list_filter = ["kind", "village", "department"]
    list_select_related = ["village", "department"]
    search_fields = ["name"]
    readonly_fields = ["accepted_on", "acceptance_note", "accepted_by", "accepted_at", "created_at"]


@admin.register(Asset)
class AssetAdmin(LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "assets"
    list_display = ["name", "village", "owner", "value", "manager", "registered_on"]
    list_filter = ["owner", "village", "manager"]
    list_select_related = ["village", "manager"]
    search_fields = ["name"]
    autocomplete_fields = ["project"]
    readonly_fields = ["created_at"]


@admin.register(Distribution)
class DistributionAdmin(_ReadOnlyRecords):
    list_display = ["asset", "year", "income", "distributed", "households", "decided_on"]
    list_filter = ["year"]
    list_select_related = ["asset__village"]
    search_fields = ["asset__name"]


@admin.register(Notice)
class NoticeAdmin(_ReadOnlyRecords):
    list_display = ["original_name", "stage", "project", "distribution", "posted_on", "uploaded_at"]
    list_filter = ["stage"]
    list_select_related = ["project__village", "distribution__asset__village"]
    exclude = ["file"]
