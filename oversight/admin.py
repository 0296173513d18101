from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest

from oversight.checks import LADDER_HELP, decision_errors, ladder_error
from oversight.models import (
    Accountability,
    Commendation,
    Finding,
    FindingExtension,
    FirstSecretary,
    FirstSecretaryCheck,
    Inspection,
    Signal,
    SignalRun,
    SpotCheck,
    SpotCheckAnswer,
)
from oversight.services import accountability_record, first_secretary_save
from xigang.admin import ScopedAdmin, ScopedInline


class ReadOnlyAdmin(ScopedAdmin):
    """Records written by the job or the portal's services: the admin shows them only."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Set by the services only (oversight.services): reports, closing (整改销号), extensions.
_FINDING_BY_SERVICE = [
    "rectified_on",
    "rectification",
    "report_file",
    "reported_at",
    "reported_by",
    "rectified_at",
    "rectified_by",
    "evidence",
    "created_at",
    "created_by",
]

_SUBJECT = ("department", "village", "cadre")


class FindingInline(ScopedInline, admin.StackedInline):
    model = Finding
    extra = 0
    raw_id_fields = [*_SUBJECT, "article"]
    readonly_fields = _FINDING_BY_SERVICE

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*_FINDING_BY_SERVICE, "deadline"] if obj is not None else _FINDING_BY_SERVICE


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
    readonly_fields = _FINDING_BY_SERVICE

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # a deadline moves only with a reason (the portal's extension), never by editing
        return [*_FINDING_BY_SERVICE, "deadline"] if obj is not None else _FINDING_BY_SERVICE

    def save_model(self, request: HttpRequest, obj: Finding, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = cast(User, request.user)
        super().save_model(request, obj, form, change)


@admin.register(FindingExtension)
class FindingExtensionAdmin(ReadOnlyAdmin):
    list_display = ["finding", "previous_deadline", "deadline", "reason", "created_by"]
    list_select_related = ["finding", "created_by"]


class AccountabilityForm(forms.ModelForm):
    """Art. 43's ladder checked as the service checks it (oversight.checks)."""

    class Meta:
        model = Accountability
        fields = [
            "department",
            "village",
            "cadre",
            "finding",
            "severity",
            "measure",
            "decided_on",
            "reason",
            "referred_on",
            "referral",
        ]
        help_texts = {"measure": LADDER_HELP}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "measure" in self.fields and "severity" in self.fields:
            error = ladder_error(
                severity=data.get("severity") or "",
                measure=data.get("measure") or "",
                aggravated=data.get("finding") is not None,
            )
            if error:
                self.add_error("measure", error)
        errors = decision_errors(
            decided_on=data.get("decided_on"),
            referred_on=data.get("referred_on"),
            referral=data.get("referral") or "",
        )
        for field, messages in errors.items():
            self.add_error(field if field in self.fields else None, messages)
        return data


@admin.register(Accountability)
class AccountabilityAdmin(ScopedAdmin):
    form = AccountabilityForm
    list_display = ["measure", "severity", "aggravated", *_SUBJECT, "decided_on", "finding"]
    list_filter = ["measure", "severity", "aggravated", "decided_on"]
    search_fields = ["reason", "cadre__name"]
    raw_id_fields = ["finding", *_SUBJECT]
    list_select_related = ["finding", *_SUBJECT]
    readonly_fields = ["aggravated", "obligation", "created_at", "created_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = ["finding", "severity", "measure", "decided_on", *_SUBJECT]
        return [*self.readonly_fields, *(fixed if obj is not None else [])]

    def save_model(
        self, request: HttpRequest, obj: Accountability, form: Any, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        saved = accountability_record(
            measure=obj.measure,
            severity=obj.severity,
            decided_on=obj.decided_on,
            reason=obj.reason,
            user=cast(User, request.user),
            finding=obj.finding,
            department=obj.department,
            village=obj.village,
            cadre=obj.cadre,
            referred_on=obj.referred_on,
            referral=obj.referral,
        )
        obj.pk = saved.pk


@admin.register(Commendation)
class CommendationAdmin(ScopedAdmin):
    list_display = ["reason", *_SUBJECT, "awarded_on", "approved_at"]
    # Approval is one button on the approvals page, by a leader.
    readonly_fields = ["approved_by", "approved_at"]
    list_filter = ["awarded_on"]
    search_fields = ["reason", "cadre__name"]
    raw_id_fields = list(_SUBJECT)
    list_select_related = list(_SUBJECT)


@admin.register(Signal)
class SignalAdmin(ReadOnlyAdmin):
    list_display = ["kind", "cadre", "village", "period", "score", "status", "found_at"]
    list_filter = ["kind", "status"]
    search_fields = ["cadre__name", "period"]
    list_select_related = ["cadre", "village"]


@admin.register(SignalRun)
class SignalRunAdmin(ReadOnlyAdmin):
    list_display = ["ran_at", "last_visit_id", "visits_read", "signals_written"]


class SpotCheckAnswerInline(ScopedInline, admin.TabularInline):
    model = SpotCheckAnswer
    extra = 0
    can_delete = False
    fields = ("position", "household", "visited", "visitor", "mismatches", "answered_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SpotCheck)
class SpotCheckAdmin(ReadOnlyAdmin):
    list_display = ["drawn_on", "department", "village", "cadre", "period", "size", "seed"]
    list_filter = ["department", "drawn_on"]
    list_select_related = ["department", "village", "cadre"]
    inlines = [SpotCheckAnswerInline]


@admin.register(SpotCheckAnswer)
class SpotCheckAnswerAdmin(ReadOnlyAdmin):
    list_display = ["spot_check", "position", "household", "visited", "answered_at"]
    list_select_related = ["spot_check", "household"]


class FirstSecretaryCheckInline(ScopedInline, admin.TabularInline):
    model = FirstSecretaryCheck
    extra = 0
    fields = ["kind", "on", "result", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]


@admin.register(FirstSecretary)
class FirstSecretaryAdmin(ScopedAdmin):
    list_display = ["village", "cadre", "sending_unit", "started_on", "ended_on"]
    list_filter = ["village"]
    search_fields = ["cadre__name", "sending_unit"]
    raw_id_fields = ["cadre", "village"]
    list_select_related = ["village", "cadre"]
    readonly_fields = ["department", "created_at", "created_by"]
    inlines = [FirstSecretaryCheckInline]

    def save_model(
        self, request: HttpRequest, obj: FirstSecretary, form: Any, change: bool
    ) -> None:
        saved = first_secretary_save(
            cadre=obj.cadre,
            village=obj.village,
            sending_unit=obj.sending_unit,
            started_on=obj.started_on,
            ended_on=obj.ended_on,
            user=cast(User, request.user),
            first_secretary=obj if change else None,
        )
        obj.pk = saved.pk

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for check in formset.save(commit=False):
            if check.created_by_id is None:
                check.created_by = cast(User, request.user)
            check.full_clean()
            check.save()
        for gone in formset.deleted_objects:
            gone.delete()
