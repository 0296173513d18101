"""The change history (read-only for everyone) and the user admin with the three posts apart."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xigang import roles
from xigang.models import AuditEntry
from xigang.security.posts import check_posts, holds_post
from xigang.security.second_factor import second_factor_reset
from xigang.security.sessions import ending_sessions_on_last_group


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read by 纪检督查 and 审计管理员 (view permission); nobody adds, changes or deletes."""

    list_display = ("at", "actor", "action", "model", "object_pk", "object_repr", "source")
    list_filter = ("action", "source", "model")
    search_fields = ("actor", "object_pk", "object_repr", "batch")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class _PostsCheckedForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        if groups is not None:
            try:
                check_posts(g.name for g in groups)
            except forms.ValidationError as exc:
                self.add_error("groups", exc)
        return cleaned


class PortalUserAdmin(UserAdmin):
    """系统管理员 keep accounts (names, active, passwords); 安全管理员 give roles (groups);
    neither can make a superuser or hand out single permissions. Only a 安全管理员 resets
    another user's lost second factor (the action below; a superuser without the post cannot).
    Turning an account inactive, or leaving it without any group, ends its sessions."""

    actions = ["reset_second_factor"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (_PostsCheckedForm, form), {})

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        locked = {"is_superuser", "user_permissions", "last_login", "date_joined"}
        if request.user.has_perm("auth.change_group"):  # 安全管理员: roles only
            fields = {f for _name, opts in self.get_fieldsets(request, obj) for f in opts["fields"]}
            return sorted((fields - {"groups"}) | locked)
        return sorted(locked | {"groups"})

    def save_related(self, request, form, formsets, change):
        """Groups are saved here: an account left without any role or post is signed out."""
        with ending_sessions_on_last_group(form.instance):
            super().save_related(request, form, formsets, change)

    def has_reset_second_factor_permission(self, request) -> bool:
        return holds_post(request.user, roles.SECURITY_ADMIN)

    @admin.action(
        permissions=["reset_second_factor"],
        description=gettext_lazy("Reset the second factor of the selected users"),
    )
    def reset_second_factor(self, request, queryset):
        users = list(queryset.order_by("username"))
        try:
            with transaction.atomic():  # all of them or, if one is refused, none
                for user in users:
                    second_factor_reset(user=user, by=request.user)
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


admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
