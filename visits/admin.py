"""Admin of pairing work. Every write goes through `visits.services`; rows through the scope.

Department staff see the problems routed to their department and resolve them here; the
routing itself (category -> department) is data the poverty-alleviation office edits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from visits import services
from visits.checks import future_date_error
from visits.forms import clean_visit_content
from visits.models import EmergencyCase, Problem, ProblemCategory, Visit
from visits.rules import problem_late_q
from xigang.admin import KeepsObligationState, LedgerAdminMixin, ScopedAdmin, import_column

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


def _staff(request: HttpRequest) -> User:
    """The admin serves signed-in staff only: its user is never anonymous."""
    return cast(User, request.user)


class VisitForm(forms.ModelForm):
    # Only 扶贫办 may accept a visit for a closed month, saying why (kept in the history).
    accept_reason = forms.CharField(
        label=_("why this late entry (补录) is accepted"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("only for a month already closed; 扶贫办 only"),
    )
    request_user: User | None = None

    class Meta:
        model = Visit
        fields = ["household", "cadre", "kind", "on", "content", "problems_found"]

    def clean_content(self) -> str:
        return clean_visit_content(self)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.instance.pk is None and all(data.get(f) for f in ("household", "cadre", "on")):
            try:
                services.visit_check(
                    household=data["household"], cadre=data["cadre"], on=data["on"]
                )
                services.visit_entry_check(
                    on=data["on"],
                    content=data.get("content", ""),
                    entered_by=self.request_user,
                    late_reason=data.get("accept_reason", ""),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    field = "accept_reason" if field == "late_reason" else field
                    self.add_error(field if field in self.fields else None, errors)
        return data


@admin.register(Visit)
class VisitAdmin(KeepsObligationState, LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "visits"
    form = VisitForm
    list_display = [
        "household",
        "cadre",
        "kind",
        "on",
        "created_at",
        "entered_by",
        "late_entry",
        import_column,
        "not_counted",
    ]
    list_filter = ["kind", "late_entry", "on", ("imported_in", admin.EmptyFieldListFilter)]
    search_fields = ["household__number", "household__head_name", "cadre__name"]
    list_select_related = ["household", "cadre", "entered_by", "imported_in"]
    raw_id_fields = ["household", "cadre"]
    date_hierarchy = "on"
    # Set by the server at entry, never by anyone.
    readonly_fields = [
        "created_at",
        "entered_by",
        "late_entry",
        "late_reason",
        "imported_in",
        "not_counted",
    ]

    def get_fields(
        self, request: HttpRequest, obj: Visit | None = None
    ) -> list[str | list[str] | tuple[str, ...]]:
        fields: list[str | list[str] | tuple[str, ...]] = [
            "household",
            "cadre",
            "kind",
            "on",
            "content",
            "problems_found",
        ]
        if obj is None:
            return [*fields, "accept_reason"]
        return [*fields, *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Visit | None = None) -> list[str]:
        if obj is not None:  # who, how and when are kept as first entered
            return ["household", "cadre", "kind", "on", *self.readonly_fields]
        return []

    def save_model(self, request: HttpRequest, obj: Visit, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.visit_update(
                visit=obj, content=data["content"], problems_found=data["problems_found"]
            )
        else:
            form.instance = services.visit_record(
                household=data["household"],
                cadre=data["cadre"],
                kind=data["kind"],
                on=data["on"],
                content=data["content"],
                problems_found=data["problems_found"],
                entered_by=_staff(request),
                late_reason=data.get("accept_reason", ""),
            )
            obj.pk = form.instance.pk


@admin.register(ProblemCategory)
class ProblemCategoryAdmin(ScopedAdmin):
    list_display = ["name", "department", "article"]
    list_filter = ["department"]
    search_fields = ["name"]
    list_select_related = ["department", "article"]


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, StrPromise]]:
        return [("open", _("open")), ("late", _("open past due")), ("resolved", _("resolved"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Problem]) -> QuerySet[Problem]:
        if self.value() == "open":
            return queryset.filter(resolved_on__isnull=True)
        if self.value() == "late":
            return queryset.filter(problem_late_q(timezone.localdate()))
        if self.value() == "resolved":
            return queryset.filter(resolved_on__isnull=False)
        return queryset


class ProblemForm(forms.ModelForm):
    class Meta:
        model = Problem
        fields = [
            "household",
            "visit",
            "category",
            "description",
            "found_on",
            "reported_by",
            "resolution",
            "resolved_on",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.instance.pk and data.get("resolved_on") and not data.get("resolution", "").strip():
            self.add_error("resolution", _("say what was done"))
        if data.get("resolved_on"):
            error = future_date_error(day=data["resolved_on"], today=timezone.localdate())
            if error:
                self.add_error("resolved_on", error)
        return data


@admin.register(Problem)
class ProblemAdmin(LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "problems"
    form = ProblemForm
    list_display = [
        "household",
        "category",
        "department",
        "found_on",
        "due",
        "resolved_on",
        "resolved_at",
        "resolved_by",
    ]
    list_filter = [OpenFilter, "department", "category"]
    search_fields = ["household__number", "description"]
    list_select_related = ["household", "category", "department"]
    raw_id_fields = ["household", "visit", "reported_by"]
    date_hierarchy = "due"

    def get_readonly_fields(self, request: HttpRequest, obj: Problem | None = None) -> list[str]:
        if obj is None:
            return ["department", "due"]
        return [
            "household",
            "visit",
            "category",
            "department",
            "description",
            "found_on",
            "due",
            "reported_by",
            "created_at",
            "entered_by",
            "resolved_by",
            "resolved_at",
        ]

    def get_fields(
        self, request: HttpRequest, obj: Problem | None = None
    ) -> list[str | list[str] | tuple[str, ...]]:
        if obj is None:
            return ["household", "visit", "category", "description", "found_on", "reported_by"]
        return [*self.get_readonly_fields(request, obj), "resolution", "resolved_on"]

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return services.can_resolve(request.user, cast(Problem, obj))

    def save_model(self, request: HttpRequest, obj: Problem, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = services.problem_report(
                household=data["household"],
                category=data["category"],
                description=data["description"],
                found_on=data["found_on"],
                visit=data.get("visit"),
                reported_by=data.get("reported_by"),
                entered_by=_staff(request),
            )
            obj.pk = created.pk
        elif data.get("resolved_on"):
            services.problem_resolve(
                problem=obj,
                resolution=data["resolution"],
                resolved_on=data["resolved_on"],
                user=_staff(request),
            )
        else:
            obj.save(update_fields=["resolution"])


@admin.register(EmergencyCase)
class EmergencyCaseAdmin(LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "emergencies"
    list_display = [
        "household",
        "cause",
        "expense",
        "occurred_on",
        "reported_on",
        "created_at",
        "late_entry",
        "aided_on",
        "aided_at",
        "aid_amount",
    ]
    list_filter = ["cause", "late_entry", "occurred_on"]
    search_fields = ["household__number", "description"]
    list_select_related = ["household", "cadre"]
    raw_id_fields = ["household", "cadre"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: EmergencyCase | None = None
    ) -> list[str]:
        entry = ["created_at", "entered_by", "late_entry", "aided_at", "aided_by"]
        if obj is None:
            return ["aided_on", "aid_amount", *entry]
        return [
            "household",
            "cadre",
            "cause",
            "expense",
            "occurred_on",
            "reported_on",
            "description",
            *entry,
        ]

    def save_model(
        self, request: HttpRequest, obj: EmergencyCase, form: ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        if not change:
            created = services.emergency_report(
                household=data["household"],
                cause=data["cause"],
                expense=data["expense"],
                occurred_on=data["occurred_on"],
                reported_on=data["reported_on"],
                description=data.get("description", ""),
                cadre=data.get("cadre"),
                entered_by=_staff(request),
            )
            obj.pk = created.pk
        elif data.get("aided_on") and data.get("aid_amount"):
            services.emergency_aid(
                case=obj,
                aided_on=data["aided_on"],
                aid_amount=data["aid_amount"],
                user=_staff(request),
            )
