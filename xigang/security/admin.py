"""The change history (read-only for everyone) and the user admin with the three posts apart."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from xigang.models import AuditEntry
from xigang.security.posts import check_posts


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
    neither can make a superuser or hand out single permissions."""

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


admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
