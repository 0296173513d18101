"""The gaps of 两不愁三保障 in the admin: read only; gaps open from assessments and close from
the department's page (`households:gap_close`), both through the services."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from households.assessments.models import AssessmentGap
from xigang.admin import ScopedAdmin


@admin.register(AssessmentGap)
class AssessmentGapAdmin(ScopedAdmin):
    list_display = ["household", "item", "department", "found_on", "due", "closed_at"]
    list_filter = ["item", "department", "household__village"]
    search_fields = ["=household__number", "household__head_name"]
    list_select_related = ["household__village", "department"]
    readonly_fields = [
        "household",
        "item",
        "department",
        "found_by",
        "found_on",
        "due",
        "evidence",
        "evidence_file",
        "evidence_name",
        "evidence_type",
        "closed_by",
        "closed_at",
        "closed_user",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False  # closed by its department on the gaps page, with evidence

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False  # evidence of the department's work: kept
