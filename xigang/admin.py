"""Admin building blocks: every ModelAdmin is scoped, and ledgers import with a preview."""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xigang import scope
from xigang.ledgers import LedgerError, export_ledger, get_kind, import_ledger

admin.site.site_header = gettext_lazy("Xigang poverty-alleviation responsibility records")
admin.site.site_title = gettext_lazy("Xigang poverty alleviation")
admin.site.index_title = gettext_lazy("Records")


def row_version(obj) -> str:
    """A fingerprint of the row as the database holds it now (one query)."""
    names = [f.attname for f in obj._meta.concrete_fields]
    values = type(obj)._base_manager.filter(pk=obj.pk).values_list(*names).first()
    return hashlib.sha256(repr(values).encode()).hexdigest()[:32]


def refuse_stale(obj, shown: str | None) -> None:
    """Optimistic locking, for the admin and the portal's forms alike: `shown` is the
    `row_version` the form carried when it was displayed; if someone saved the row since,
    refuse the save (the caller keeps what the user typed and shows the message)."""
    if shown and obj.pk and shown != row_version(obj):
        raise forms.ValidationError(
            _(
                "Someone else saved this record while you were editing it. Nothing of yours "
                "has been saved and what you typed is kept below: compare it with the "
                "current record (open it in another tab), then save again to keep yours."
            ),
            code="stale",
        )


class _VersionCheckedForm(forms.ModelForm):
    """The admin change form carries the row's fingerprint as it was shown (`_row_version`, see
    templates/admin/change_form.html); a stale save is refused (`refuse_stale`)."""

    def clean(self):
        cleaned = super().clean()
        refuse_stale(self.instance, self.data.get("_row_version"))
        return cleaned


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows, objects and choices all come through the scope module.

    The change view fetches its object through `get_queryset`, so an object out of scope
    answers like a missing one (guardian's GuardedModelAdmin does not do this, upstream #756).
    Two users editing the same record: the second save is refused (`_VersionCheckedForm`)."""

    def get_queryset(self, request: HttpRequest):
        return scope.visible(request.user, super().get_queryset(request))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or not issubclass(form, forms.ModelForm):
            return form
        return type(form.__name__, (_VersionCheckedForm, form), {})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and obj.pk is not None:
            context["row_version"] = row_version(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _scoped_choices(self, db_field, request, kwargs):
        related = db_field.remote_field.model
        if "queryset" not in kwargs and scope.filters_rows(related):
            kwargs["queryset"] = scope.visible(request.user, related._default_manager.all())
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(
            db_field, request, **self._scoped_choices(db_field, request, kwargs)
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(
            db_field, request, **self._scoped_choices(db_field, request, kwargs)
        )


class ScopedInline:
    """Mixin for inlines: the related rows offered come through the scope too."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if "queryset" not in kwargs and scope.filters_rows(related):
            kwargs["queryset"] = scope.visible(request.user, related._default_manager.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _upload_dir() -> Path:
    directory = Path(settings.MEDIA_ROOT) / "ledger-uploads"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class LedgerAdminMixin:
    """Adds 导入台账 (upload, preview, confirm) and 导出台账 to a changelist.

    The preview runs the import as a dry run; the uploaded file waits under MEDIA_ROOT, named by
    a random token bound to the uploading user, until it is confirmed."""

    ledger_kind: str
    change_list_template = "admin/ledger_change_list.html"

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "ledger-import/",
                self.admin_site.admin_view(self.ledger_import_view),
                name="%s_%s_ledger_import" % info,
            ),
            path(
                "ledger-export/",
                self.admin_site.admin_view(self.ledger_export_view),
                name="%s_%s_ledger_export" % info,
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        kind = get_kind(self.ledger_kind)
        info = self.model._meta.app_label, self.model._meta.model_name
        if kind.importable and request.user.has_perm(kind.permission):
            extra_context["ledger_import_url"] = reverse("admin:%s_%s_ledger_import" % info)
        if request.user.has_perm(kind.export_permission):
            extra_context["ledger_export_url"] = reverse("admin:%s_%s_ledger_export" % info)
        return super().changelist_view(request, extra_context)

    def ledger_export_view(self, request):
        kind = get_kind(self.ledger_kind)(request.user)
        if not request.user.has_perm(kind.export_permission):
            raise PermissionDenied
        handle = tempfile.TemporaryFile()
        export_ledger(kind, handle)
        handle.seek(0)
        filename = f"{kind.title}-{timezone.localdate().isoformat()}.xlsx"
        return FileResponse(handle, as_attachment=True, filename=filename)

    def ledger_import_view(self, request):
        kind = get_kind(self.ledger_kind)(request.user)
        if not request.user.has_perm(kind.permission):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import ledger 「%(title)s」") % {"title": kind.title},
            "headers": [(c.header, c.required or c.key) for c in kind.columns],
        }
        if request.method == "POST" and "token" in request.POST:
            return self._confirm(request, kind, request.POST["token"], context)
        if request.method == "POST" and request.FILES.get("file"):
            token = f"{request.user.pk}-{uuid.uuid4().hex}"
            stored = _upload_dir() / f"{token}.xlsx"
            with stored.open("wb") as out:
                for chunk in request.FILES["file"].chunks():
                    out.write(chunk)
            try:
                context["report"] = import_ledger(kind, stored, dry_run=True)
                context["token"] = token
            except LedgerError as exc:
                stored.unlink(missing_ok=True)
                context["refused"] = str(exc)
        return TemplateResponse(request, "admin/ledger_import.html", context)

    def _confirm(self, request, kind, token, context):
        if (
            not token.startswith(f"{request.user.pk}-")
            or not token[len(str(request.user.pk)) + 1 :].isalnum()
        ):
            raise PermissionDenied
        stored = _upload_dir() / f"{token}.xlsx"
        if not stored.exists():
            context["refused"] = _("the uploaded file has expired; upload it again")
            return TemplateResponse(request, "admin/ledger_import.html", context)
        try:
            report = import_ledger(kind, stored, dry_run=False)
        except LedgerError as exc:
            context["refused"] = str(exc)
            return TemplateResponse(request, "admin/ledger_import.html", context)
        finally:
            stored.unlink(missing_ok=True)
        if not report.ok:
            context["report"] = report
            return TemplateResponse(request, "admin/ledger_import.html", context)
        messages.success(request, report.summary())
        info = self.model._meta.app_label, self.model._meta.model_name
        return HttpResponseRedirect(reverse("admin:%s_%s_changelist" % info))
