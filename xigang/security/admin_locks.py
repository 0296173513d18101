"""The 安全管理员's page of sign-in failures and locks (xigang.security.throttle): it lists them
with when each pause ends, and clears the selected ones; every clearing is in the history."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xigang import history, roles
from xigang.scope import scope_of
from xigang.security.throttle import lock_until


class SignInLockAdmin(admin.ModelAdmin):
    list_display = ("username", "ip_address", "failures_since_start", "attempt_time", "paused")
    search_fields = ("username", "ip_address")
    ordering = ("-attempt_time",)
    list_per_page = 50
    actions = ["clear_locks"]
    fields = ("username", "ip_address", "user_agent", "failures_since_start", "attempt_time")
    readonly_fields = fields

    def _security(self, request) -> bool:
        # asked by every admin page's menu: the scope's roles are read once a request
        return roles.SECURITY_ADMIN in scope_of(request.user).roles

    def has_module_permission(self, request) -> bool:
        return self._security(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._security(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_clear_locks_permission(self, request) -> bool:
        return self._security(request)

    @admin.display(description=gettext_lazy("paused until"))
    def paused(self, obj) -> str:
        until = lock_until(obj.username, obj.ip_address)
        return timezone.localtime(until).strftime("%Y-%m-%d %H:%M") if until else "-"

    @admin.action(
        permissions=["clear_locks"], description=gettext_lazy("Clear the selected sign-in failures")
    )
    def clear_locks(self, request, queryset):
        rows = list(queryset.values("username", "ip_address", "failures_since_start"))
        with transaction.atomic():
            AccessAttempt.objects.filter(pk__in=queryset.values("pk")).delete()
            for row in rows:
                history.record(
                    "unlock",
                    model="axes.accessattempt",
                    object_pk=row["username"],
                    object_repr=f"{row['username']} @ {row['ip_address']}",
                    old={"ip_address": row["ip_address"], "failures": row["failures_since_start"]},
                )
        self.message_user(
            request,
            _("%(n)d sign-in failure records cleared.") % {"n": len(rows)},
            messages.SUCCESS,
        )


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, SignInLockAdmin)
