"""The change history (read-only for everyone), the roles (read-only: the matrix is code) and
the accounts admin with the three posts apart."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xigang import history, roles
from xigang.models import AuditEntry
from xigang.security.accounts import check_groups_change, group_names, groups_set
from xigang.security.codes import access_code_issue
from xigang.security.posts import holds_post
from xigang.security.second_factor import second_factor_reset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read by 纪检督查 and 审计管理员 (view permission); nobody adds, changes or deletes."""

    list_display = ("at", "actor", "action", "model", "object_pk", "object_repr", "source")
    list_filter = ("action", "source", "model")
    search_fields = ("actor", "object_pk", "object_repr", "batch")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False


class _GroupsCheckedForm(forms.ModelForm):
    """Groups change only as `xigang.security.accounts` allows (posts apart, never one's own)."""

    request_user: User | None = None  # set by PortalUserAdmin.get_form, as ScopedAdmin does

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        groups = cleaned.get("groups")
        if groups is not None:
            user = self.instance
            try:
                check_groups_change(
                    by=self.request_user,
                    user=user,
                    old=group_names(user),
                    new={g.name for g in groups},
                )
            except ValidationError as exc:
                for message in exc.messages:
                    self.add_error("groups", message)
        return cleaned


class AccountChangeForm(forms.ModelForm):
    """Django's user change form without its password field and link."""

    class Meta:
        model = User
        fields = ["username"]


class AccountCreationForm(forms.ModelForm):
    """A new account has no password: its holder sets one with a one-time code."""

    class Meta:
        model = User
        fields = ["username", "first_name"]

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


ACCOUNT_FIELDS = ("username", "first_name", "last_name", "email", "is_active")


class PortalUserAdmin(UserAdmin):
    """Accounts, with the three posts kept apart in code (xigang.security.accounts):
    系统管理员 create, deactivate and give roles, and issue one-time codes, never a password;
    安全管理员 give posts (and a post holder's roles) and reset lost second factors; nobody edits
    their own roles, anyone's single permissions or the superuser flag, and no screen sets a
    password. Every change is in the change history."""

    actions = ["issue_access_code", "reset_second_factor"]
    form = AccountChangeForm
    add_form = AccountCreationForm
    add_fieldsets = ((None, {"fields": ("username", "first_name")}),)
    fieldsets = (
        (None, {"fields": ("username",)}),
        (gettext_lazy("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (
            gettext_lazy("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (gettext_lazy("Important dates"), {"fields": ("last_login", "date_joined")}),
    )

    def get_form(
        self, request: HttpRequest, obj: User | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form
        return type(form.__name__, (_GroupsCheckedForm, form), {"request_user": request.user})

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        if obj is None:
            return []
        locked = {"is_staff", "is_superuser", "user_permissions", "last_login", "date_joined"}
        user = request.user
        if not (user.is_superuser or holds_post(user, roles.SYSTEM_ADMIN)):
            locked |= set(ACCOUNT_FIELDS)  # 安全管理员: roles and posts only
            if not holds_post(user, roles.SECURITY_ADMIN):
                locked.add("groups")
        return sorted(locked)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """No screen sets another's password: a 系统管理员 issues a one-time code instead."""
        raise PermissionDenied

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        changed = [f for f in ACCOUNT_FIELDS if f in form.changed_data]
        super().save_model(request, obj, form, change)
        if changed or not change:
            history.record(
                "account",
                model="auth.user",
                object_pk=obj.pk,
                object_repr=obj.get_username(),
                old={f: form.initial.get(f) for f in changed} if change else None,
                new={f: getattr(obj, f) for f in (changed if change else ACCOUNT_FIELDS)},
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Groups through `groups_set`: checked, recorded, an account left without any role or
        post signed out. Nothing else is related (single permissions are read-only)."""
        if "groups" in form.cleaned_data:
            names = {g.name for g in form.cleaned_data["groups"]}
            groups_set(user=form.instance, names=names, by=request.user)

    def has_issue_access_code_permission(self, request: HttpRequest) -> bool:
        return holds_post(request.user, roles.SYSTEM_ADMIN)

    @admin.action(
        permissions=["issue_access_code"],
        description=gettext_lazy("Issue a one-time code to the selected user"),
    )
    def issue_access_code(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> HttpResponse | None:
        users = list(queryset[:2])
        if len(users) != 1:
            self.message_user(request, _("Choose exactly one user."), messages.ERROR)
            return None
        try:
            # the admin serves signed-in staff only
            plain, code = access_code_issue(user=users[0], by=cast(User, request.user))
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("One-time enrolment code"),
            "account": users[0],
            "code": plain,
            "issued": code,
        }
        return TemplateResponse(request, "security/access_code_issued.html", context)

    def has_reset_second_factor_permission(self, request: HttpRequest) -> bool:
        return holds_post(request.user, roles.SECURITY_ADMIN)

    @admin.action(
        permissions=["reset_second_factor"],
        description=gettext_lazy("Reset the second factor of the selected users"),
    )
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset.order_by("username"))
        try:
            with transaction.atomic():  # all of them or, if one is refused, none
                for user in users:
                    second_factor_reset(user=user, by=cast(User, request.user))
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        self.message_user(
            request,
            _(
                "The second factor of %(users)s has been reset and their open sessions ended: "
                "at the next sign-in they set up a new one in their authenticator app."
            )
            % {"users": "、".join(u.get_username() for u in users)},
            messages.SUCCESS,
        )


class ReadOnlyGroupAdmin(GroupAdmin):
    """The roles' permissions come from the code's matrix (xigang.roles): shown, never edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False


admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, ReadOnlyGroupAdmin)

from xigang.security import admin_locks  # noqa: E402, F401  (the sign-in locks page)
