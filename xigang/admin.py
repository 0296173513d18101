"""Admin building blocks: every ModelAdmin is scoped, and ledgers import with a preview."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.filters import ListFilter
from django.contrib.admin.options import IncorrectLookupParameters, InlineModelAdmin
from django.contrib.admin.sites import AdminSite
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.widgets import ForeignKeyRawIdWidget, url_params_from_lookup_dict
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.db.models.fields.related import RelatedField
from django.db.models.fields.reverse_related import ManyToOneRel
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.forms.models import BaseInlineFormSet, _get_foreign_key
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ExportActionMixin, ImportMixin
from import_export.forms import ExportForm, ImportForm

from xigang import scope
from xigang.ledger_resources import (
    EXPORT_FORMATS,
    LedgerFormat,
    LedgerResource,
    LedgerUploadStorage,
    ledger_formats,
    ledger_resource,
)
from xigang.ledgers import LedgerError, LedgerKind, get_kind, run_in_background
from xigang.models import import_mark
from xigang.obligations import state_refresh
from xigang.upload_limits import check_size

if TYPE_CHECKING:  # django-stubs' companion, installed with the test tools only
    from django_stubs_ext import StrOrPromise

admin.site.site_header = gettext_lazy("Xigang poverty-alleviation responsibility records")
admin.site.site_title = gettext_lazy("Xigang poverty alleviation")
admin.site.index_title = gettext_lazy("Records")


# (model, foreign key name): the rows a form shows with its own
Related = tuple[tuple[type[models.Model], str], ...]


def _rows(queryset: QuerySet[Any], lock: bool) -> list:
    if lock:
        queryset = queryset.select_for_update()
    names = [f.attname for f in queryset.model._meta.concrete_fields]
    return list(queryset.order_by("pk").values_list(*names))


def row_version(obj: models.Model, related: Related = (), *, lock: bool = False) -> str:
    """A fingerprint of everything a form shows: the row and its related rows (an admin page's
    inlines) as the database holds them now. Keyed with the secret key: a masked ID number
    cannot be found by hashing guesses. `lock`: the rows are locked until the transaction ends."""
    parts = [_rows(obj._meta.base_manager.filter(pk=obj.pk), lock)]
    for model, key in related:
        parts.append(_rows(model._meta.base_manager.filter(**{key: obj.pk}), lock))
    return salted_hmac("xigang.row_version", repr(parts)).hexdigest()[:32]


def refuse_stale(obj: models.Model, shown: str, related: Related = ()) -> None:
    """Optimistic locking, for the admin and the portal's forms alike: `shown` is the
    `row_version` the form carried when it was displayed; if someone saved the row (or a row
    shown with it) since, or the form carried no version, refuse the save (the caller keeps
    what the user typed and shows the message). Inside a transaction the rows are locked
    first, so two saves of the same version cannot both pass."""
    if not obj.pk:
        return
    if not shown:
        raise forms.ValidationError(
            _(
                "This form arrived without the version of the record it showed, so nobody can "
                "tell whether someone else saved the record meanwhile. Nothing has been saved "
                "and what you typed is kept below: check it against the record, then save again."
            ),
            code="unversioned",
        )
    lock = transaction.get_connection().in_atomic_block
    if shown != row_version(obj, related, lock=lock):
        raise forms.ValidationError(
            _(
                "Someone else saved this record while you were editing it. Nothing of yours "
                "has been saved and what you typed is kept below: compare it with the "
                "current record (open it in another tab), then save again to keep yours."
            ),
            code="stale",
        )


class _VersionCheckedForm(forms.ModelForm):
    """The admin change form carries the fingerprint of the row and its inlines as they were
    shown (`_row_version`, see templates/admin/change_form.html); a stale or unversioned save
    is refused (`refuse_stale`)."""

    version_related: Related = ()

    def clean(self) -> dict[str, Any]:
        super().clean()
        refuse_stale(self.instance, self.data.get("_row_version", ""), self.version_related)
        return self.cleaned_data


class ScopedRelatedFilter(admin.RelatedOnlyFieldListFilter):
    """A relation's filter lists only the related rows found among the user's own rows (a
    village cadre's village filter names their village, not every village of the town)."""

    def field_choices(
        self, field: RelatedField, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, StrOrPromise]]:
        if scope.row_filter(request.user, field.remote_field.model) is None:
            return admin.RelatedFieldListFilter.field_choices(self, field, request, model_admin)
        return super().field_choices(field, request, model_admin)


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """A raw id's label names the related row only when it is in the user's scope: an id put
    in the URL (`?household=N`) must not print another village's household and its head."""

    def __init__(
        self,
        rel: ManyToOneRel,
        admin_site: AdminSite,
        user: User | AnonymousUser,
        **kwargs: Any,
    ) -> None:
        super().__init__(rel, admin_site, **kwargs)
        self.user = user

    def label_and_url_for_value(self, value: Any) -> tuple[str, str]:
        rows = self.rel.model._default_manager.filter(**{self.rel.get_related_field().name: value})
        try:
            shown = scope.visible(self.user, rows).exists()
        except (ValueError, ValidationError):
            shown = False
        return super().label_and_url_for_value(value) if shown else ("", "")


def _scoped_relation_kwargs(
    model_admin: admin.options.BaseModelAdmin,
    db_field: RelatedField,
    request: HttpRequest,
    kwargs: dict[str, Any],
) -> dict[str, Any]:
    """A relation's choices, and the label of a raw id, come through the scope."""
    related = db_field.remote_field.model
    if "queryset" not in kwargs and scope.filters_rows(related):
        kwargs["queryset"] = scope.visible(request.user, related._default_manager.all())
    if db_field.name in model_admin.raw_id_fields and db_field.many_to_one:
        kwargs.setdefault(
            "widget",
            ScopedRawIdWidget(
                cast(ManyToOneRel, db_field.remote_field),  # many_to_one, checked above
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

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope.visible(request.user, super().get_queryset(request))

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._writable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._writable(request, obj)

    def _writable(self, request: HttpRequest, obj: models.Model | None) -> bool:
        if obj is None or obj.pk is None:
            return True
        known = request.__dict__.setdefault("_xigang_writable", {})  # asked several times a page
        key = (obj._meta.label_lower, obj.pk)
        if key not in known:
            known[key] = scope.can_write(request.user, obj)
        return known[key]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().delete_queryset(request, scope.writable(request.user, queryset))

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        return [
            (item, ScopedRelatedFilter)
            if isinstance(item, str) and get_fields_from_path(self.model, item)[-1].is_relation
            else item
            for item in super().get_list_filter(request)
        ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, str | list[str]]:
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

    def get_form(
        self,
        request: HttpRequest,
        obj: models.Model | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user  # type: ignore[attr-defined]  # a new class each request
        if obj is None or not issubclass(form, forms.ModelForm):
            return form
        related = {"version_related": self.version_related()}
        return type(form.__name__, (_VersionCheckedForm, form), related)

    def version_related(self) -> Related:
        """The inlines' rows: the page shows them, so its version covers them."""
        related = []
        for inline in self.inlines:
            key = _get_foreign_key(self.model, inline.model, fk_name=inline.fk_name)
            assert key is not None  # it raises rather than return None
            related.append((inline.model, key.name))
        return tuple(related)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: models.Model | None = None,
    ) -> HttpResponse:
        if change and obj is not None and obj.pk is not None:
            context["row_version"] = row_version(obj, self.version_related())
        return super().render_change_form(request, context, add, change, form_url, obj)

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        kwargs = _scoped_relation_kwargs(self, db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField | None:
        kwargs = _scoped_relation_kwargs(self, db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def _all_visible(user: User | AnonymousUser, field: RelatedField, value: str | list[str]) -> bool:
    """`value` (an id, or ids as the URL gives them for a many-to-many) names rows in scope."""
    ids = value if isinstance(value, list) else str(value).split(",")
    try:
        rows = field.remote_field.model._default_manager.filter(pk__in=ids)
        return scope.visible(user, rows).count() == len(set(ids))
    except (ValueError, ValidationError):
        return False


class ScopedInline(InlineModelAdmin):
    """Mixin for inlines: the related rows offered, and raw id labels, come through the scope;
    the forms know the user, like the ScopedAdmin's."""

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        kwargs = _scoped_relation_kwargs(self, db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset(
        self, request: HttpRequest, obj: models.Model | None = None, **kwargs: Any
    ) -> type[BaseInlineFormSet]:
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.request_user = request.user  # type: ignore[attr-defined]  # a new class each request
        return formset


# The session's uploads waiting for their confirmation: stored name -> the file's own name.
_WAITING = "ledger-uploads"


class LedgerImportForm(ImportForm):
    """The library's upload form; a file above the upload limit is refused by name and size."""

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        try:
            check_size(upload.name, upload.size)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0]) from exc
        return upload


class KeepsObligationState(admin.ModelAdmin):
    """For the admin of rows that the stored obligation states derive from (visits, pairings):
    a deletion refreshes their households' state in the same request, as the services do."""

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        super().delete_model(request, obj)
        state_refresh(households=[obj.household_id])  # type: ignore[attr-defined]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        households = list(queryset.values_list("household_id", flat=True))
        super().delete_queryset(request, queryset)
        state_refresh(households=households)


class LedgerAdminMixin(ImportMixin, ExportActionMixin, admin.ModelAdmin):
    """django-import-export's screens for a ledger kind (`ledger_kind`), run on our engine
    (xigang.ledger_resources): 导入 (upload with format choice, a preview that lists every row
    as new / update / unchanged / error, confirm), 导出 (format choice, the list's filters) and
    the action 导出选中的…. Permissions are the kind's; the rows are the user's scope. A workbook
    too large for a request is imported in the background (`run_in_background`)."""

    ledger_kind: str
    import_form_class = LedgerImportForm
    export_form_class = ExportForm  # a ledger is exported whole: it must import back
    import_template_name = "admin/ledger_import.html"
    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    tmp_storage_class = LedgerUploadStorage
    skip_admin_log = True  # our audit: LedgerImport and the change history
    show_change_form_export = False

    def get_urls(self) -> list[URLPattern]:
        info = self.model._meta.app_label, self.model._meta.model_name
        # The former screens' addresses lead to the library's.
        return [
            path(
                "ledger-import/",
                self.admin_site.admin_view(self._moved("import")),
                name="%s_%s_ledger_import" % info,
            ),
            path(
                "ledger-export/",
                self.admin_site.admin_view(self._moved("export")),
                name="%s_%s_ledger_export" % info,
            ),
            *super().get_urls(),
        ]

    def _moved(self, to: str) -> Callable[[HttpRequest], HttpResponse]:
        def view(request: HttpRequest) -> HttpResponse:
            info = self.model._meta.app_label, self.model._meta.model_name
            query = f"?{request.GET.urlencode()}" if request.GET else ""
            return HttpResponseRedirect(reverse("admin:%s_%s_%s" % (*info, to)) + query)

        return view

    def _kind(self) -> type[LedgerKind]:
        return get_kind(self.ledger_kind)

    def has_import_permission(self, request: HttpRequest) -> bool:
        kind = self._kind()
        return kind.importable and request.user.has_perm(kind.permission)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(self._kind().export_permission)

    def get_resource_classes(self, request: HttpRequest) -> list[type[LedgerResource]]:
        return [ledger_resource(self.ledger_kind)]

    def get_import_formats(self) -> list[type[LedgerFormat]]:
        return ledger_formats(self.ledger_kind)

    def get_export_formats(self) -> list[type[LedgerFormat]]:
        return EXPORT_FORMATS

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"user": request.user}

    def get_export_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        said = [self._filters_said(request)] if request.GET else []
        if "export_items" in request.POST:
            count = len(request.POST.getlist("export_items"))
            said.append(_("selected rows: %(n)d") % {"n": count})
        return {"user": request.user, "filter_label": "；".join(s for s in said if s)}

    def get_export_queryset(self, request: HttpRequest) -> QuerySet:
        try:
            return super().get_export_queryset(request)
        except IncorrectLookupParameters as exc:  # a lookup the list refuses: no export either
            raise PermissionDenied from exc

    def get_valid_export_item_pks(self, request: HttpRequest) -> Any:
        """Selected rows may be exported only from the user's scope."""
        return self.get_queryset(request).values_list("pk", flat=True)

    def get_export_filename(
        self, request: HttpRequest, queryset: QuerySet, file_format: Any
    ) -> str:
        kind = self._kind()
        label = self.get_export_resource_kwargs(request)["filter_label"]
        parts = [kind.title, *([label] if label else []), timezone.localdate().isoformat()]
        name = re.sub(r'[\\/:*?"<>|\s]+', "_", "-".join(parts))[:150]
        return f"{name}.{file_format.get_extension()}"

    def _do_file_export(
        self, file_format: Any, request: HttpRequest, queryset: QuerySet, export_form: Any = None
    ) -> HttpResponse:
        """The library writes the filename raw into the header, which Django then MIME-encodes
        (=?utf-8?b?…?=): a Chinese name must go as RFC 6266's filename* instead."""
        response = super()._do_file_export(file_format, request, queryset, export_form)
        name = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response

    def _filters_said(self, request: HttpRequest) -> str:
        """The list's filters and search in words (「村：东村；搜索：张」)."""
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters as exc:
            raise PermissionDenied from exc
        said = []
        for spec in changelist.filter_specs:
            for choice in spec.choices(changelist):
                if choice.get("selected") and choice.get("query_string") != "?":
                    display = str(choice.get("display", ""))
                    if display and display != str(_("All")):
                        said.append(f"{spec.title}：{display}")
        if changelist.query:
            said.append(_("search: %(text)s") % {"text": changelist.query})
        return "；".join(said)

    def get_import_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {"ledger_columns": self._kind().columns}

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        upload = request.FILES.get("import_file")
        if request.method == "POST" and upload is not None and self.has_import_permission(request):
            try:
                check_size(upload.name or "", upload.size or 0)
            except ValidationError:
                pass  # the form says so (LedgerImportForm)
            else:
                queued = run_in_background(
                    kind=self.ledger_kind,
                    source=upload,
                    file_name=upload.name or "",
                    user=request.user,
                )
                if queued:
                    messages.info(
                        request,
                        _(
                            "The workbook is large: it is checked and imported in the "
                            "background, all or nothing; a message tells you the result."
                        ),
                    )
                    return HttpResponseRedirect(queued)
        response = super().import_action(request, **kwargs)
        stored = getattr(upload, "tmp_storage_name", None)
        if stored and not getattr(response, "context_data", {}).get("confirm_form"):
            LedgerUploadStorage(name=stored).remove()  # refused: nothing waits for a confirmation
        return response

    def add_data_read_fail_error_to_form(self, form: forms.Form, e: Exception) -> None:
        if isinstance(e, LedgerError):  # the whole file refused, said in Chinese
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def get_confirm_form_initial(self, request: HttpRequest, import_form: Any) -> dict[str, Any]:
        """The upload waits for this session's confirmation only (see `process_import`)."""
        initial = super().get_confirm_form_initial(request, import_form)
        if initial:
            waiting = request.session.get(_WAITING, {})
            waiting[initial["import_file_name"]] = initial["original_file_name"]
            request.session[_WAITING] = waiting
        return initial

    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_import_permission(request):
            raise PermissionDenied
        name = Path(request.POST.get("import_file_name", "")).name
        waiting = request.session.get(_WAITING, {})
        if name not in waiting:  # not an upload this session made: it cannot be confirmed
            raise PermissionDenied
        file_name = waiting.pop(name)
        request.session[_WAITING] = waiting
        if not LedgerUploadStorage(name=name).exists():
            messages.error(request, _("the uploaded file has expired; upload it again"))
            info = self.model._meta.app_label, self.model._meta.model_name
            return HttpResponseRedirect(reverse("admin:%s_%s_import" % info))
        return super().process_import(request, file_name=file_name, **kwargs)

    def process_result(self, result: Any, request: HttpRequest) -> HttpResponse:
        """A confirmation that fails (the register changed since the preview) shows why."""
        if result.has_errors() or result.has_validation_errors():
            context = {
                **self.admin_site.each_context(request),
                **self.get_import_context_data(),
                "title": _("Import"),
                "opts": self.model._meta,
                "result": result,
                "form": LedgerImportForm(
                    self.get_import_formats(), self.get_import_resource_classes(request)
                ),
            }
            return TemplateResponse(request, [self.import_template_name], context)
        return super().process_result(result, request)

    def add_success_message(self, result: Any, request: HttpRequest) -> None:
        messages.success(request, result.ledger_report.summary())


@admin.display(description=gettext_lazy("import"))
def import_column(obj: models.Model) -> str:
    """The list column of records that carry their import (`imported_in`): the 导入 mark."""
    return import_mark(getattr(obj, "imported_in", None))
