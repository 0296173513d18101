"""The registry in the admin: every list scoped, writes through the services, ID numbers masked
for roles that do not keep the registry, the four ledgers on their changelists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ForeignKey, QuerySet
from django.forms import BaseModelFormSet, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from households import checks, services
from households.assessments.services import assessment_save
from households.models import (
    Assessment,
    HelpMeasure,
    HelpPlan,
    Household,
    Member,
    MemberChange,
    Pairing,
    PlanStep,
)
from xigang import history
from xigang.admin import (
    KeepsObligationState,
    LedgerAdminMixin,
    ScopedAdmin,
    ScopedInline,
    import_column,
)
from xigang.idnumber import mask
from xigang.obligations import state_refresh
from xigang.scope import scope_of


class _Rollback(Exception):
    pass


def _staff(request: HttpRequest) -> User:
    """The admin serves signed-in staff only: its user is never anonymous."""
    return cast(User, request.user)


class ServiceForm(forms.ModelForm):
    """A model form that runs the service's own checks on the instance it would save (inside
    a transaction that is rolled back), so a refusal shows on the form instead of failing the
    save. The admin's save_model then calls the same service for real. `request_user` is set
    by the admin (xigang.admin), so refusals name only what the user may see."""

    request_user: User | None = None

    def run_service(self, instance: Any) -> None:
        raise NotImplementedError

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # ModelForm's hook is missing from the stubs
        if self.errors:
            return
        try:
            with transaction.atomic():
                self.run_service(self.instance)
                raise _Rollback
        except _Rollback:
            pass
        except ValidationError as error:
            self.add_error(None, error.messages)


def _reset_pk(instance: models.Model, had_pk: bool) -> None:
    """The dry run's row is rolled back: a new instance must not keep its primary key."""
    if not had_pk:
        instance.pk = None
        instance._state.adding = True


class HouseholdForm(ServiceForm):
    class Meta:
        model = Household
        fields = [
            "number",
            "village",
            "head_name",
            "head_id_number",
            "size",
            "phone",
            "address",
            "category",
            "status",
            "year_identified",
            "year_exited",
            "cause",
            "is_key",
        ]

    def run_service(self, instance: Household) -> None:
        had_pk = instance.pk is not None
        services.household_save(household=instance)
        _reset_pk(instance, had_pk)

    def _post_clean(self) -> None:
        super()._post_clean()
        # A number taken in another village is refused as the ledger refuses it: unconfirmed.
        taken = any(e.code == "unique" for e in self.errors.as_data().get("number", []))
        if taken and not (self.request_user and scope_of(self.request_user).whole_town):
            self.errors["number"] = self.error_class([checks.number_unusable_message()])


class MemberForm(ServiceForm):
    class Meta:
        model = Member
        fields = [
            "household",
            "id_number",
            "name",
            "relation",
            "health",
            "disability_grade",
            "labour",
            "schooling",
            "active",
            "left_on",
            "has_vehicle",
            "has_town_housing",
            "has_public_post",
            "has_business",
        ]

    def run_service(self, instance: Member) -> None:
        if instance.household_id is None:
            return  # a member typed with a new household: checked when the household is saved
        had_pk = instance.pk is not None
        services.member_save(member=instance, user=self.request_user)
        _reset_pk(instance, had_pk)


class PairingForm(ServiceForm):
    class Meta:
        model = Pairing
        fields = ["household", "cadre", "start", "end"]

    def run_service(self, instance: Pairing) -> None:
        had_pk = instance.pk is not None
        services.pairing_save(pairing=instance)
        _reset_pk(instance, had_pk)


def _masked(field: str) -> Callable[[models.Model], str]:
    def shown(obj: models.Model) -> str:
        return mask(getattr(obj, field)) if getattr(obj, field) else ""

    shown.short_description = _("ID number")  # type: ignore[attr-defined]
    return shown


class MaskedIdFields(BaseModelAdmin):
    """For roles that do not keep the registry, recorded ID numbers are shown masked and
    read-only in the form, of an admin or an inline. A new record's number is typed in full:
    the person entering it knows it already."""

    id_fields: tuple[str, ...] = ()

    def _masks(self, request: HttpRequest) -> bool:
        if scope_of(request.user).sees_full_id:
            history.note_full_id_read()  # this page shows full numbers: recorded once a request
            return False
        return True

    def _masks_form(self, request: HttpRequest, obj: models.Model | None) -> bool:
        return self._masks(request) and (
            obj is not None or isinstance(self, admin.options.InlineModelAdmin)
        )

    def get_exclude(self, request: HttpRequest, obj: models.Model | None = None) -> list[str]:
        excluded = list(super().get_exclude(request, obj) or [])
        return [*excluded, *self.id_fields] if self._masks_form(request, obj) else excluded

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not self._masks_form(request, obj):
            return fields
        return [*fields, *(f"masked_{f}" for f in self.id_fields)]

    def get_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> list[str | list[str] | tuple[str, ...]]:
        fields = list(super().get_fields(request, obj))
        if self._masks_form(request, obj):
            fields = [f"masked_{f}" if f in self.id_fields else f for f in fields]
        else:
            fields = [f for f in fields if not (isinstance(f, str) and f.startswith("masked_"))]
        return list(dict.fromkeys(fields))


class MaskedIdAdmin(MaskedIdFields, admin.ModelAdmin):
    """The masked ID numbers of `MaskedIdFields` in the changelist too, where they cannot be
    searched."""

    def get_list_display(self, request: HttpRequest) -> list[str | Callable[[Any], str | bool]]:
        shown = list(super().get_list_display(request))
        if not self._masks(request):
            return shown
        return [f"masked_{f}" if f in self.id_fields else f for f in shown]

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        fields = list(super().get_search_fields(request))
        if not self._masks(request):
            return fields
        return [f for f in fields if f.lstrip("=^@") not in self.id_fields]


class MemberInline(MaskedIdFields, ScopedInline, admin.TabularInline):
    model = Member

    class Media:
        # The nine columns fit 1366 px (在册 and 离户日期 were cut off): narrower inputs.
        css = {"all": ["households/admin.css"]}

    form = MemberForm
    extra = 0
    id_fields = ("id_number",)
    fields = [
        "id_number",
        "name",
        "relation",
        "health",
        "disability_grade",
        "labour",
        "schooling",
        "active",
        "left_on",
    ]
    masked_id_number = staticmethod(_masked("id_number"))


class PairingInline(ScopedInline, admin.TabularInline):
    """The household's pairings on its page, read-only (they change on the pairings' own
    screen, through the service), each with its 导入 mark."""

    model = Pairing
    fields = ["cadre", "start", "end", "import_mark"]
    readonly_fields = ["cadre", "start", "end", "import_mark"]
    import_mark = staticmethod(import_column)
    extra = 0
    can_delete = False
    ordering = ["start"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("cadre", "imported_in")


@admin.register(Household)
class HouseholdAdmin(MaskedIdAdmin, LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "households"
    form = HouseholdForm
    id_fields = ("head_id_number",)
    list_display = [
        "number",
        "village",
        "head_name",
        "head_id_number",
        "size",
        "category",
        "status",
        "is_key",
    ]
    list_filter = ["village", "status", "category", "is_key", "cause"]
    search_fields = ["=number", "head_name", "=head_id_number"]
    list_select_related = ["village"]
    inlines = [MemberInline, PairingInline]
    masked_head_id_number = staticmethod(_masked("head_id_number"))

    def save_model(
        self, request: HttpRequest, obj: Household, form: ModelForm, change: bool
    ) -> None:
        services.household_save(household=obj)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseModelFormSet, change: bool
    ) -> None:
        instances = formset.save(commit=False)
        for removed in formset.deleted_objects:
            removed.delete()
        # Leaving members first, so the one-household rule holds at every step.
        for member in sorted(instances, key=lambda m: m.active):
            services.member_save(member=member, user=_staff(request))
        state_refresh(households=[form.instance.pk])  # a pairing removed inline


@admin.register(Member)
class MemberAdmin(MaskedIdAdmin, LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "members"
    form = MemberForm
    id_fields = ("id_number",)
    list_display = ["name", "id_number", "household", "relation", "health", "schooling", "active"]
    list_filter = [
        "household__village",
        "active",
        "relation",
        "health",
        "schooling",
        "has_vehicle",
        "has_town_housing",
        "has_public_post",
        "has_business",
    ]
    search_fields = ["=household__number", "household__head_name", "name", "=id_number"]
    list_select_related = ["household__village"]
    raw_id_fields = ["household"]
    masked_id_number = staticmethod(_masked("id_number"))

    def save_model(self, request: HttpRequest, obj: Member, form: ModelForm, change: bool) -> None:
        services.member_save(member=obj, user=_staff(request))


class MemberChangeForm(forms.ModelForm):
    """New changes go through `member_change_record` (it updates the household); the dry run
    shows its refusals on the form, as the user recording it may read them."""

    request_user: User | None = None

    class Meta:
        model = MemberChange
        fields = ["household", "kind", "name", "id_number", "happened_on", "reported_on"]
        labels = {"name": _("full name")}  # a person's 姓名, not a thing's 名称

    def _post_clean(self) -> None:
        if self.instance.pk is not None:
            return super()._post_clean()  # type: ignore[misc]  # missing from the stubs
        if self.errors:
            return None
        # The instance carries what was typed; the service validates it (not the model form).
        self.instance = forms.models.construct_instance(self, self.instance, self._meta.fields)
        data = self.cleaned_data
        try:
            with transaction.atomic():
                services.member_change_record(
                    household=data["household"],
                    kind=data["kind"],
                    name=data["name"],
                    id_number=data.get("id_number") or "",
                    happened_on=data["happened_on"],
                    reported_on=data["reported_on"],
                    reported_by=self.request_user,
                )
                raise _Rollback
        except _Rollback:
            pass
        except ValidationError as error:
            self.add_error(None, error.messages)
        return None


@admin.register(MemberChange)
class MemberChangeAdmin(MaskedIdAdmin, LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "member_changes"
    form = MemberChangeForm
    id_fields = ("id_number",)
    list_display = [
        "household",
        "name",
        "id_number",
        "kind",
        "happened_on",
        "reported_on",
        "reported_by",
        "created_at",
    ]
    list_filter = ["kind", "household__village", "happened_on"]
    search_fields = ["=household__number", "household__head_name", "name"]
    list_select_related = ["household__village", "reported_by"]
    # Picked by number or head's name among the user's households, never by a raw id.
    autocomplete_fields = ["household"]
    date_hierarchy = "happened_on"
    masked_id_number = staticmethod(_masked("id_number"))

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:  # a recorded change is history: only its report date may be fixed
            fields += [f for f in ("household", "kind", "name", "happened_on") if f not in fields]
        return fields

    def save_model(
        self, request: HttpRequest, obj: MemberChange, form: ModelForm, change: bool
    ) -> None:
        if change:
            obj.full_clean()
            obj.save()
            return
        recorded = services.member_change_record(
            household=obj.household,
            kind=obj.kind,
            name=obj.name,
            id_number=obj.id_number,
            happened_on=obj.happened_on,
            reported_on=obj.reported_on,
            reported_by=_staff(request),
        )
        obj.pk = recorded.pk
        obj._state.adding = False


@admin.register(Pairing)
class PairingAdmin(KeepsObligationState, LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "pairings"
    form = PairingForm
    list_display = ["household", "cadre", "start", "end", import_column]
    list_filter = [
        "household__village",
        "start",
        "end",
        ("imported_in", admin.EmptyFieldListFilter),
    ]
    search_fields = ["=household__number", "household__head_name", "cadre__name"]
    list_select_related = ["household__village", "cadre", "imported_in"]
    raw_id_fields = ["household", "cadre"]
    readonly_fields = ["imported_in"]

    def save_model(self, request: HttpRequest, obj: Pairing, form: ModelForm, change: bool) -> None:
        services.pairing_save(pairing=obj)


class DefaultDepartmentMixin(BaseModelAdmin):
    """The department may be left empty: the service fills in the one that answers for the
    measure's kind (households.responsibility.MEASURE_DEPARTMENTS)."""

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "department" and field is not None:
            field.required = False
        return field


# Marked carried out only through `measure_deliver` (the form on the household page): the
# evidence, the day and who and when are never typed here.
DELIVERY_FIELDS = ["done_on", "evidence", "evidence_file", "done_by", "done_at"]


class HelpMeasureForm(forms.ModelForm):
    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        if status == HelpMeasure.Status.DONE and self.instance.done_on is None:
            raise forms.ValidationError(
                _("a measure is marked carried out with its evidence, on its own form")
            )
        return status


class HelpMeasureInline(DefaultDepartmentMixin, ScopedInline, admin.TabularInline):
    model = HelpMeasure
    form = HelpMeasureForm
    extra = 0
    readonly_fields = DELIVERY_FIELDS


class PlanStepInline(ScopedInline, admin.TabularInline):
    """The steps as recorded (the household page's form records them, in order)."""

    model = PlanStep
    extra = 0
    max_num = 0
    can_delete = False
    fields = readonly_fields = ("step", "done_on", "note", "entered_by", "entered_at")


@admin.register(HelpPlan)
class HelpPlanAdmin(LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "plans"
    list_display = ["household", "year", "approved_on", "approved_by"]
    # Approval is one button on the approvals page (date, who and when set by the server).
    readonly_fields = ["approved_on", "approved_by", "approved_at"]
    list_filter = ["year", "household__village"]
    search_fields = ["=household__number", "household__head_name"]
    list_select_related = ["household__village"]
    raw_id_fields = ["household"]
    inlines = [PlanStepInline, HelpMeasureInline]

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseModelFormSet, change: bool
    ) -> None:
        instances = formset.save(commit=False)
        for removed in formset.deleted_objects:
            removed.delete()
        for measure in instances:
            services.help_measure_save(measure=measure)


@admin.register(HelpMeasure)
class HelpMeasureAdmin(DefaultDepartmentMixin, LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "measures"
    list_display = ["plan", "kind", "department", "due", "status", "done_on", "amount"]
    list_filter = ["kind", "status", "department"]
    readonly_fields = DELIVERY_FIELDS
    form = HelpMeasureForm
    search_fields = ["=plan__household__number", "plan__household__head_name"]
    list_select_related = ["plan__household", "department"]
    raw_id_fields = ["plan"]

    def save_model(
        self, request: HttpRequest, obj: HelpMeasure, form: ModelForm, change: bool
    ) -> None:
        services.help_measure_save(measure=obj)


class AssessmentForm(ServiceForm):
    class Meta:
        model = Assessment
        fields = ["household", "item", "met", "assessed_on", "note"]

    def run_service(self, instance: Assessment) -> None:
        had_pk = instance.pk is not None
        assessment_save(assessment=instance, assessed_by=self.request_user)
        _reset_pk(instance, had_pk)


@admin.register(Assessment)
class AssessmentAdmin(LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "assessments"
    form = AssessmentForm
    list_display = [
        "household",
        "item",
        "met",
        "responsible_department",
        "assessed_on",
        "assessed_by",
    ]
    list_filter = ["item", "met", "household__village"]
    search_fields = ["=household__number", "household__head_name"]
    list_select_related = ["household__village", "assessed_by"]
    raw_id_fields = ["household"]
    readonly_fields = ["assessed_by", "created_at", "entered_by"]

    @admin.display(description=_("responsible department"))
    def responsible_department(self, obj: Assessment) -> str:
        if obj.responsible is None:
            return "—"
        name, article = obj.responsible
        return _("%(department)s (art. %(article)d)") % {"department": name, "article": article}

    def save_model(
        self, request: HttpRequest, obj: Assessment, form: ModelForm, change: bool
    ) -> None:
        # Through the service: a not-met item opens its gap, the entry time and author are set.
        assessment_save(assessment=obj, assessed_by=_staff(request))


# The gaps' admin lives with them (households/assessments/admin.py).
from households.assessments import admin as _gap_admin  # noqa: E402, F401
