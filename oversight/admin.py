from typing import Any, cast

from django.contrib import admin
from django.contrib.auth.models import User
from django.forms import ModelForm
from django.http import HttpRequest

from oversight import services
from oversight.models import Accountability, Commendation, Finding, Inspection
from xigang.admin import ScopedAdmin, ScopedInline

_SUBJECT = ("department", "village", "cadre")


class FindingInline(ScopedInline, admin.StackedInline):
    model = Finding
    extra = 0
    raw_id_fields = [*_SUBJECT, "article"]


@admin.register(Inspection)
class InspectionAdmin(ScopedAdmin):
    list_display = ["title", "kind", "department", "started_on", "ended_on"]
    list_filter = ["kind", "department", "started_on"]
    search_fields = ["title", "focus"]
    filter_horizontal = ["villages"]
    readonly_fields = ["created_by"]
    list_select_related = ["department"]
    inlines = [FindingInline]

    def save_model(self, request: HttpRequest, obj: Inspection, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = cast(User, request.user)  # the admin serves signed-in staff only
        super().save_model(request, obj, form, change)


@admin.register(Finding)
class FindingAdmin(ScopedAdmin):
    list_display = [
        "description",
        "inspection",
        "article",
        *_SUBJECT,
        "found_on",
        "deadline",
        "rectified_on",
        "rectified_at",
    ]
    list_filter = ["rectified_on", "article", "department", "village"]
    search_fields = ["description", "inspection__title", "cadre__name"]
    date_hierarchy = "deadline"
    raw_id_fields = ["inspection", *_SUBJECT, "article"]
    list_select_related = ["inspection", "article", *_SUBJECT]
    readonly_fields = ["rectified_at", "rectified_by"]

    def save_model(self, request: HttpRequest, obj: Finding, form: ModelForm, change: bool) -> None:
        services.stamp_rectification(obj, cast(User, request.user))
        super().save_model(request, obj, form, change)


@admin.register(Accountability)
class AccountabilityAdmin(ScopedAdmin):
    list_display = ["measure", *_SUBJECT, "decided_on", "finding"]
    list_filter = ["measure", "decided_on"]
    search_fields = ["reason", "cadre__name"]
    raw_id_fields = ["finding", *_SUBJECT]
    list_select_related = ["finding", *_SUBJECT]


@admin.register(Commendation)
class CommendationAdmin(ScopedAdmin):
    list_display = ["reason", *_SUBJECT, "awarded_on"]
    list_filter = ["awarded_on"]
    search_fields = ["reason", "cadre__name"]
    raw_id_fields = list(_SUBJECT)
    list_select_related = list(_SUBJECT)
