"""Admin building blocks: every ModelAdmin is scoped, and ledgers import with a preview."""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.filters import ListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.widgets import ForeignKeyRawIdWidget, url_params_from_lookup_dict
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
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


class ScopedRelatedFilter(admin.RelatedOnlyFieldListFilter):
    """A relation's filter lists only the related rows found among the user's own rows (a
    village cadre's village filter names their village, not every village of the town)."""

    def field_choices(self, field, request, model_admin):
        if scope.row_filter(request.user, field.remote_field.model) is None:
            return admin.RelatedFieldListFilter.field_choices(self, field, request, model_admin)
        return super().field_choices(field, request, model_admin)


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw id's label names the related row only when it is in the user's scope: an id put
    in the URL (`?household=N`) must not print another village's household and its head."""

    def __init__(self, rel, admin_site, user, **kwargs):
        super().__init__(rel, admin_site, **kwargs)
        self.user = user

    def label_and_url_for_value(self, value):
        rows = self.rel.model._default_manager.filter(**{self.rel.get_related_field().name: value})
        try:
            shown = scope.visible(self.user, rows).exists()
        except (ValueError, ValidationError):
            shown = False
        return super().label_and_url_for_value(value) if shown else ("", "")


def _scoped_relation_kwargs(model_admin, db_field, request, kwargs):
    """A relation's choices, and the label of a raw id, come through the scope."""
    related = db_field.remote_field.model
    if "queryset" not in kwargs and scope.filters_rows(related):
        kwargs["queryset"] = scope.visible(request.user, related._default_manager.all())
    if db_field.name in model_admin.raw_id_fields and db_field.many_to_one:
        kwargs.setdefault(
            "widget",
            ScopedRawIdWidget(
                db_field.remote_field,
                model_admin.admin_site,
                request.user,
                using=kwargs.get("using"),
            ),
        )
    return kwargs


class DeclaredLookupsOnly(admin.ModelAdmin):
    """A changelist that accepts from the URL only the lookups its declared `list_filter` and
    `date_hierarchy` produce (search terms come as `q`). The stock check lets any local field
    lookup through, so `?id_number__regex=` would read a masked number digit by digit. The
    base of ScopedAdmin; any other ModelAdmin may take it."""

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        """A refused lookup answers like a wrong one: the list again, unfiltered, with `?e=1`,
        whatever the value."""
        declared = self._declared_lookups(request) if request else set()  # always given in 5.2
        if lookup in declared or self._limits_choices(lookup, value):
            return True
        raise IncorrectLookupParameters(lookup)

    def _declared_lookups(self, request: HttpRequest) -> set[str]:
        known = request.__dict__.setdefault("_xigang_lookups", {})
        if type(self) not in known:
            names = set()
            for spec in self._filter_specs(request):
                names.update(spec.expected_parameters())
            if self.date_hierarchy:
                names.update(f"{self.date_hierarchy}__{part}" for part in ("year", "month", "day"))
            known[type(self)] = names
        return known[type(self)]

    def _filter_specs(self, request: HttpRequest) -> Iterator[ListFilter]:
        make: Callable[..., ListFilter]
        for item in self.get_list_filter(request):
            if isinstance(item, str):
                path, make = item, admin.FieldListFilter.create
            elif isinstance(item, (list, tuple)):  # (field path, FieldListFilter class)
                path, make = str(item[0]), cast(Callable[..., ListFilter], item[1])
            else:  # a SimpleListFilter
                yield cast(type[ListFilter], item)(request, {}, self.model, self)
                continue
            field = get_fields_from_path(self.model, path)[-1]
            yield make(field, request, {}, self.model, self, field_path=path)

    def _limits_choices(self, lookup: str, value: str) -> bool:
        """A raw id popup carries the relation's `limit_choices_to` (as the stock check allows)."""
        for limits in self.model._meta.related_fkey_lookups:
            limits = limits() if callable(limits) else limits
            if (lookup, value) in url_params_from_lookup_dict(limits).items():
                return True
        return False


class ScopedAdmin(DeclaredLookupsOnly):
    """A ModelAdmin whose rows, objects and choices all come through the scope module.

    The change view fetches its object through `get_queryset`, so an object out of scope
    answers like a missing one (guardian's GuardedModelAdmin does not do this, upstream #756);
    changes and deletes need the row in the user's write scope (`scope.writable`).
    The changelist accepts from the URL only the lookups its declared filters produce, its
    relation filters list only rows in scope, raw id labels and add-form initial values from
    the URL go through the scope. Two users editing the same record: the second save is
    refused (`_VersionCheckedForm`)."""

    def get_queryset(self, request: HttpRequest):
        return scope.visible(request.user, super().get_queryset(request))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._writable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._writable(request, obj)

    def _writable(self, request, obj) -> bool:
        if obj is None or obj.pk is None:
            return True
        known = request.__dict__.setdefault("_xigang_writable", {})  # asked several times a page
        key = (obj._meta.label_lower, obj.pk)
        if key not in known:
            known[key] = scope.can_write(request.user, obj)
        return known[key]

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, scope.writable(request.user, queryset))

    def get_list_filter(self, request):
        return [
            (item, ScopedRelatedFilter)
            if isinstance(item, str) and get_fields_from_path(self.model, item)[-1].is_relation
            else item
            for item in super().get_list_filter(request)
        ]

    def get_changeform_initial_data(self, request):
        """Initial values from the URL name related rows only in scope."""
        initial = super().get_changeform_initial_data(request)
        for name, value in list(initial.items()):
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if field.is_relation and not _all_visible(request.user, field, value):
                del initial[name]
        return initial

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user  # type: ignore[attr-defined]  # a new class each request
        if obj is None or not issubclass(form, forms.ModelForm):
            return form
        return type(form.__name__, (_VersionCheckedForm, form), {})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and obj.pk is not None:
            context["row_version"] = row_version(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = _scoped_relation_kwargs(self, db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = _scoped_relation_kwargs(self, db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def _all_visible(user, field, value) -> bool:
    """`value` (an id, or ids as the URL gives them for a many-to-many) names rows in scope."""
    ids = value if isinstance(value, list) else str(value).split(",")
    try:
        rows = field.remote_field.model._default_manager.filter(pk__in=ids)
        return scope.visible(user, rows).count() == len(set(ids))
    except (ValueError, ValidationError):
        return False


class ScopedInline:
    """Mixin for inlines: the related rows offered, and raw id labels, come through the scope;
    the forms know the user, like the ScopedAdmin's."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = _scoped_relation_kwargs(self, db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.request_user = request.user  # a new class each request
        return formset


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
