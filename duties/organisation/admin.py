"""The regulation and the organisation in the admin, every queryset cut to the user's scope.

Writes that carry scope (a cadre's groups and grants, 包村干部 assignments) go through
`duties.organisation.services`, exactly as the ledgers do.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from duties.checks import mobile_error
from duties.models import (
    Article,
    Cadre,
    Department,
    Duty,
    PartyBranch,
    RuleParameter,
    Village,
    VillageAssignment,
)
from duties.organisation.services import (
    cadre_groups,
    cadre_save,
    may_edit_parameters,
    rule_parameter_refusals,
    rule_parameter_save,
    rule_parameter_withdraw,
    username_refusal,
    village_assignments_set,
)
from xigang import roles as role_names
from xigang.admin import LedgerAdminMixin, ScopedAdmin, ScopedInline
from xigang.security.accounts import group_names, groups_refusals


class ReadOnlyInline(ScopedInline, admin.TabularInline):
    """Rows shown beside their parent for reading; they are edited on their own page."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


class ArticleDutyInline(ReadOnlyInline):
    model = Duty
    fields = readonly_fields = ("clause", "level", "department", "text")


class DepartmentDutyInline(ReadOnlyInline):
    model = Duty
    fields = readonly_fields = ("article", "clause", "text")


# --- the regulation -----------------------------------------------------------------------


@admin.register(Article)
class ArticleAdmin(ScopedAdmin):
    """The regulation is loaded by migration; only a superuser may correct it."""

    list_display = ["number", "label_column", "chapter", "chapter_title", "excerpt"]
    list_display_links = ["number", "label_column"]
    list_filter = ["chapter"]
    search_fields = ["text", "chapter_title"]
    ordering = ["number"]
    inlines = [ArticleDutyInline]

    @admin.display(description=_("article"), ordering="number")
    def label_column(self, obj: Article) -> str:
        return obj.label

    @admin.display(description=_("text"))
    def excerpt(self, obj: Article) -> str:
        return obj.text if len(obj.text) <= 60 else obj.text[:60] + "……"

    def get_readonly_fields(self, request: HttpRequest, obj: Article | None = None) -> list[str]:
        if request.user.is_superuser:
            return []
        return ["number", "chapter", "chapter_title", "text"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return request.user.is_superuser


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ["name", "kind", "article_labels", "duty_count", "cadre_count"]
    list_filter = ["kind"]
    search_fields = ["name"]
    filter_horizontal = ["articles"]
    inlines = [DepartmentDutyInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Department]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                duty_total=Count("duties", distinct=True),
                cadre_total=Count("cadres", distinct=True),
            )
            .prefetch_related("articles")
        )

    @admin.display(description=_("articles"))
    def article_labels(self, obj: Department) -> str:
        return "、".join(a.label for a in obj.articles.all())

    @admin.display(description=_("duties"), ordering="duty_total")
    def duty_count(self, obj: Any) -> int:  # an annotated Department
        return obj.duty_total

    @admin.display(description=_("cadres"), ordering="cadre_total")
    def cadre_count(self, obj: Any) -> int:  # an annotated Department
        return obj.cadre_total


@admin.register(Duty)
class DutyAdmin(ScopedAdmin):
    list_display = ["article", "clause", "level", "department", "text"]
    list_display_links = ["text"]
    list_filter = ["level", "department", "article__chapter"]
    search_fields = ["text", "article__text", "department__name"]
    list_select_related = ["article", "department"]
    ordering = ["article", "clause"]
    autocomplete_fields = ["article"]
    readonly_fields = ["article_text"]
    fields = ["article", "article_text", "clause", "level", "department", "text"]

    @admin.display(description=_("text of the article"))
    def article_text(self, obj: Duty | None) -> str:
        if obj is None or obj.article_id is None:
            return "-"
        article = obj.article
        return linebreaks(f"{article.label} {article.text}")


# --- the organisation ---------------------------------------------------------------------


@admin.register(PartyBranch)
class PartyBranchAdmin(ScopedAdmin):
    list_display = ["name", "village_count"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PartyBranch]:
        return super().get_queryset(request).annotate(village_total=Count("villages"))

    @admin.display(description=_("villages"), ordering="village_total")
    def village_count(self, obj: Any) -> int:  # an annotated PartyBranch
        return obj.village_total


class VillageAssignmentInline(ScopedInline, admin.TabularInline):
    model = VillageAssignment
    extra = 0
    autocomplete_fields = ["cadre"]
    verbose_name = _("town cadre assigned (包村干部)")
    verbose_name_plural = _("town cadres assigned (包村干部)")


@admin.register(Village)
class VillageAdmin(LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "villages"
    list_display = ["name", "kind", "branch", "assigned"]
    list_filter = ["kind", "branch"]
    search_fields = ["name", "branch__name"]
    list_select_related = ["branch"]
    inlines = [VillageAssignmentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Village]:
        return super().get_queryset(request).prefetch_related("assigned_cadres")

    @admin.display(description=_("town cadres assigned"))
    def assigned(self, obj: Village) -> str:
        return "、".join(c.name for c in obj.assigned_cadres.all())

    def save_formset(
        self,
        request: HttpRequest,
        form: forms.ModelForm,
        formset: BaseInlineFormSet,
        change: bool,
    ) -> None:
        """Assignments grant the village's scope: they go through the service."""
        if formset.model is not VillageAssignment:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # only to record what changed, for the history message
        wanted = [
            f.cleaned_data["cadre"]
            for f in formset.forms
            if f.cleaned_data.get("cadre") and not f.cleaned_data.get("DELETE")
        ]
        village_assignments_set(village=form.instance, cadres=wanted)


class CadreForm(forms.ModelForm):
    """A cadre with its account name and roles: saved by `cadre_save`, which sets the groups
    and grants the scope of the unit."""

    request_user: User | AnonymousUser | None = None  # set by ScopedAdmin.get_form

    username = forms.CharField(label=_("user name"), max_length=150)
    roles = forms.MultipleChoiceField(
        label=_("roles"),
        choices=[(r, r) for r in role_names.ALL_ROLES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Cadre
        fields = ["name", "mobile", "department", "village", "title"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["username"].initial = self.instance.user.username
            self.fields["username"].disabled = True
            self.fields["roles"].initial = list(
                self.instance.user.groups.values_list("name", flat=True)
            )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if self.instance.pk:
            return self.instance.user.username
        user = get_user_model().objects.filter(username=username).first()
        if user is not None and (user.is_superuser or hasattr(user, "cadre")):
            raise forms.ValidationError(gettext("this user name is already taken"))
        refusal = username_refusal(user)
        if refusal:
            raise forms.ValidationError(refusal)
        return username

    def clean_mobile(self) -> str:
        mobile = self.cleaned_data["mobile"]
        error = mobile_error(mobile)
        if error:
            raise forms.ValidationError(error)
        return mobile

    def clean(self) -> dict[str, Any]:
        """Nobody changes their own roles; a post holder's change only through 安全管理员."""
        super().clean()
        cleaned = self.cleaned_data
        user = self.instance.user if self.instance.pk else None
        if user is not None and "roles" in cleaned:
            wanted = cadre_groups(user, cleaned["roles"])
            for message in groups_refusals(
                by=self.request_user, user=user, old=group_names(user), new=wanted
            ):
                self.add_error("roles", message)
        return cleaned


@admin.register(Cadre)
class CadreAdmin(LedgerAdminMixin, ScopedAdmin):
    ledger_kind = "cadres"
    form = CadreForm
    fields = ["username", "name", "mobile", "department", "village", "title", "roles"]
    list_display = ["name", "username", "department", "village", "title", "mobile", "roles"]
    list_filter = ["department", "village", "user__groups"]
    search_fields = ["name", "user__username", "mobile", "title"]
    list_select_related = ["user", "department", "village"]
    ordering = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cadre]:
        return super().get_queryset(request).prefetch_related("user__groups")

    @admin.display(description=_("user name"), ordering="user__username")
    def username(self, obj: Cadre) -> str:
        return obj.user.username

    @admin.display(description=_("roles"))
    def roles(self, obj: Cadre) -> str:
        """The list column, and the field on a read-only page (the form edits it otherwise)."""
        return "、".join(g.name for g in obj.user.groups.all()) or "-"

    def save_model(
        self, request: HttpRequest, obj: Cadre, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        cadre = cadre_save(
            username=data["username"],
            name=data["name"],
            unit=data.get("department") or data.get("village"),
            roles=data.get("roles") or [],
            mobile=data.get("mobile") or "",
            title=data.get("title") or "",
            by=request.user,
        )
        obj.pk, obj.user = cadre.pk, cadre.user

    def save_related(
        self,
        request: HttpRequest,
        form: forms.ModelForm,
        formsets: list[BaseInlineFormSet],
        change: bool,
    ) -> None:
        """Nothing else to save: `cadre_save` set the groups."""


@admin.register(VillageAssignment)
class VillageAssignmentAdmin(ScopedAdmin):
    list_display = ["village", "cadre", "cadre_unit"]
    list_filter = ["village__branch", "village"]
    search_fields = ["village__name", "cadre__name", "cadre__user__username"]
    list_select_related = ["village", "cadre__department", "cadre__village"]
    autocomplete_fields = ["village", "cadre"]

    @admin.display(description=_("unit"))
    def cadre_unit(self, obj: VillageAssignment) -> Department | Village | str:
        return obj.cadre.unit or "-"

    def _cadres_of(self, village: Village) -> list[Cadre]:
        return [a.cadre for a in village.villageassignment_set.select_related("cadre__user")]

    def save_model(
        self,
        request: HttpRequest,
        obj: VillageAssignment,
        form: forms.ModelForm,
        change: bool,
    ) -> None:
        """Through the service, which grants (and on a change revokes) the village's scope."""
        if change:
            old = VillageAssignment.objects.select_related("village", "cadre").get(pk=obj.pk)
            cadres = [c for c in self._cadres_of(old.village) if c.pk != old.cadre_id]
            village_assignments_set(village=old.village, cadres=cadres)
        cadres = [c for c in self._cadres_of(obj.village) if c.pk != obj.cadre_id]
        village_assignments_set(village=obj.village, cadres=[*cadres, obj.cadre])
        obj.pk = VillageAssignment.objects.get(village=obj.village, cadre=obj.cadre).pk

    def delete_model(self, request: HttpRequest, obj: VillageAssignment) -> None:
        cadres = [c for c in self._cadres_of(obj.village) if c.pk != obj.cadre_id]
        village_assignments_set(village=obj.village, cadres=cadres)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[VillageAssignment]) -> None:
        for obj in queryset.select_related("village", "cadre"):
            self.delete_model(request, obj)


# --- rule parameters (art. 44) ------------------------------------------------------------


class RuleParameterForm(forms.ModelForm):
    request_user: User | AnonymousUser | None = None  # set by ScopedAdmin.get_form

    class Meta:
        model = RuleParameter
        fields = ["rule", "name", "value", "effective_from", "note"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        fields = ("rule", "name", "value", "effective_from")
        if self.request_user is None or any(data.get(field) is None for field in fields):
            return data  # a field's own error is shown already
        refusals = rule_parameter_refusals(
            user=self.request_user,
            rule=data["rule"],
            name=data["name"],
            value=data["value"],
            effective_from=data["effective_from"],
            parameter=self.instance if self.instance.pk else None,
        )
        for field, messages in refusals.items():
            for message in messages:
                self.add_error(None if field == "__all__" else field, message)
        return data


@admin.register(RuleParameter)
class RuleParameterAdmin(ScopedAdmin):
    """Rule parameters in force (or past) are kept as they were: a change is a new row with
    its own date after today (art. 44), written by 扶贫办 through the service. Rows not yet in
    force may be corrected or withdrawn."""

    form = RuleParameterForm
    list_display = ["rule", "name", "value", "effective_from", "in_force", "note"]
    list_filter = ["rule", "name"]
    search_fields = ["rule", "note"]
    date_hierarchy = "effective_from"

    @admin.display(description=_("in force"), boolean=True)
    def in_force(self, obj: RuleParameter) -> bool:
        return obj.effective_from <= timezone.localdate()

    def _settled(self, obj: models.Model | None) -> bool:
        return isinstance(obj, RuleParameter) and obj.effective_from <= timezone.localdate()

    # Adding and correcting open the form for whoever holds the model permission; the form
    # refuses anyone but 扶贫办 with a message. Withdrawing has no form: refused up front.
    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and not self._settled(obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return (
            super().has_delete_permission(request, obj)
            and may_edit_parameters(request.user)
            and not self._settled(obj)
        )

    def save_model(
        self, request: HttpRequest, obj: RuleParameter, form: forms.ModelForm, change: bool
    ) -> None:
        rule_parameter_save(
            user=request.user,
            rule=obj.rule,
            name=obj.name,
            value=obj.value,
            effective_from=obj.effective_from,
            note=obj.note,
            parameter=obj if change else None,
        )

    def delete_model(self, request: HttpRequest, obj: RuleParameter) -> None:
        rule_parameter_withdraw(user=request.user, parameter=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RuleParameter]) -> None:
        for parameter in queryset:
            rule_parameter_withdraw(user=request.user, parameter=parameter)
