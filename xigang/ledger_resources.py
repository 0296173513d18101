"""Every ledger kind as a django-import-export Resource, so that the library's admin screens
(upload with format choice, a preview row by row, confirm; export with format choice and of the
selected rows) run on our engine (xigang.ledgers): our reader, our all-or-nothing plan and
apply, our checks and audit, our formula-safe writer. The library's row-by-row save is never
used for a ledger (see benchmarks/README.md, "Choices").

`ledger_resource(name)` and `ledger_formats(name)` build both from any registered kind; the
admin side is `xigang.admin.LedgerAdminMixin`.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any, ClassVar

import tablib
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.html import format_html
from django.utils.safestring import SafeString
from import_export import fields, resources
from import_export.formats import base_formats
from import_export.results import Error, Result, RowResult
from import_export.tmp_storages import TempFolderStorage

from xigang import history
from xigang.ledgers import (
    FORMULA_TRIGGERS,
    LedgerError,
    LedgerKind,
    Report,
    Row,
    RowError,
    export_sheet,
    get_kind,
    import_rows,
    write_workbook,
)

# The engine's action kinds as the library's row results name them ('skip' is shown unchanged).
IMPORT_TYPES = {
    "created": RowResult.IMPORT_TYPE_NEW,
    "updated": RowResult.IMPORT_TYPE_UPDATE,
    "unchanged": RowResult.IMPORT_TYPE_SKIP,
}


class LedgerDataset(tablib.Dataset):
    """A ledger file as our reader read it for one kind: the parsed `Row`s and the read's
    errors and warnings (`report`), with the headers found. The rows are not copied into
    tablib's (a tenth of a large import's time): the library only asks whether there are any,
    and `import_data` reads `ledger_rows`."""

    def __init__(self, kind: LedgerKind, rows: list[Row], report: Report) -> None:
        present = rows[0].present if rows else frozenset()
        super().__init__(headers=[c.header for c in kind.columns if c.attr in present])
        self.ledger_rows = rows
        self.report = report

    def __len__(self) -> int:
        return len(self.ledger_rows)


def shown(value: Any) -> str:
    """A parsed cell as the preview shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)


class LedgerFormat(base_formats.Format):
    """Our reader and writers as one of the library's formats. Reading needs the kind (the
    header is found by its columns, the first worksheet that has them is read), so
    `ledger_formats` binds a kind; the reader tells .xlsx, .xls and CSV apart by content."""

    kind_name: ClassVar[str] = ""
    extension: ClassVar[str]
    content_type: ClassVar[str]
    imports: ClassVar[bool] = True
    exports: ClassVar[bool] = True

    def __init__(self, encoding: str | None = None) -> None:
        self.encoding = encoding

    def get_title(self) -> str:
        return self.extension

    def get_extension(self) -> str:
        return self.extension

    def get_content_type(self) -> str:
        return self.content_type

    def is_binary(self) -> bool:
        return True  # CSV too: our reader finds its encoding (UTF-8, GBK)

    def get_read_mode(self) -> str:
        return "rb"

    def can_import(self) -> bool:
        return self.imports

    def can_export(self) -> bool:
        return self.exports

    def create_dataset(self, in_stream: bytes | str) -> LedgerDataset:
        kind = get_kind(self.kind_name)(AnonymousUser())
        data = in_stream.encode() if isinstance(in_stream, str) else in_stream
        report = Report(kind=kind.name, dry_run=True)
        return LedgerDataset(kind, kind.read(io.BytesIO(data), report), report)


class Xlsx(LedgerFormat):
    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> bytes:
        out = io.BytesIO()
        write_workbook(
            out,
            title=dataset.title or "",
            subtitle=getattr(dataset, "subtitle", ""),
            headers=list(dataset.headers or []),
            rows=dataset,
        )
        return out.getvalue()


class Xls(LedgerFormat):
    extension = "xls"
    content_type = "application/vnd.ms-excel"
    exports = False  # we write .xlsx; .xls is read only, as offices still keep it


class Csv(LedgerFormat):
    extension = "csv"
    content_type = "text/csv"

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> bytes:
        """UTF-8 with a BOM (Excel then reads the Chinese right); a cell a spreadsheet would run
        as a formula is kept text by a leading apostrophe."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(dataset.headers or [])
        for row in dataset:
            writer.writerow(_csv_cell(value) for value in row)
        return out.getvalue().encode("utf-8-sig")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


EXPORT_FORMATS: list[type[LedgerFormat]] = [Xlsx, Csv]


@functools.cache
def ledger_formats(kind_name: str) -> list[type[LedgerFormat]]:
    """The import formats bound to a kind: .xlsx, .xls, .csv."""
    return [
        type(f"{fmt.__name__}_{kind_name}", (fmt,), {"kind_name": kind_name})
        for fmt in (Xlsx, Xls, Csv)
    ]


class LedgerResource(resources.Resource):
    """A ledger kind as a Resource: `import_data` runs the engine and fills the library's
    `Result`; `export` gives the kind's export (scoped by `visible()`, narrowed to the
    queryset the admin passes: its filters, or the selected rows)."""

    kind_name: ClassVar[str]

    def __init__(
        self, user: Any = None, filter_label: str = "", **kwargs: Any
    ) -> None:  # the admin passes the user and its filters in words
        super().__init__(**kwargs)
        self.user = user if user is not None else AnonymousUser()
        self.filter_label = filter_label

    @classmethod
    def get_display_name(cls) -> str:
        return get_kind(cls.kind_name).title

    def import_data(self, dataset: LedgerDataset, dry_run: bool = False, **kwargs: Any) -> Result:
        kind = get_kind(self.kind_name)(kwargs.get("user") or self.user)
        report = dataset.report
        report.dry_run = dry_run
        result = Result()
        result.ledger_report = report  # the preview and the message say more than counts
        try:
            import_rows(kind, dataset.ledger_rows, report, file_name=kwargs.get("file_name") or "")
        except LedgerError as exc:
            result.append_base_error(Error(exc))
            return result
        _fill(result, kind, report)
        return result

    def export(self, queryset: Any = None, **kwargs: Any) -> tablib.Dataset:
        kind = get_kind(self.kind_name)(self.user, only=queryset, filter_label=self.filter_label)
        sheet = export_sheet(kind)
        dataset = tablib.Dataset(headers=sheet.headers, title=sheet.title)
        dataset.extend(sheet.rows)
        dataset.subtitle = sheet.subtitle  # for our writer's filter and date line
        history.record_export(self.user, f"ledger.{kind.name}", len(dataset), detail=kind.title)
        return dataset


@functools.cache
def ledger_resource(kind_name: str) -> type[LedgerResource]:
    """The Resource of a registered kind: one field per column, named by its Chinese header."""
    kind = get_kind(kind_name)
    declared: dict[str, Any] = {
        column.attr: fields.Field(attribute=column.attr, column_name=column.header)
        for column in kind.columns
    }
    return type(f"{kind.__name__}Resource", (LedgerResource,), {"kind_name": kind_name, **declared})


def _fill(result: Result, kind: LedgerKind, report: Report) -> None:
    """Every row of the file as the library's preview lists it: new / update / unchanged with
    the changed cells marked, or its errors by header; with the Excel row number."""
    present = report.rows[0].present if report.rows else frozenset()
    columns = [c for c in kind.columns if c.attr in present]
    result.diff_headers = [c.header for c in columns]
    result.total_rows = len(report.rows)
    by_number = {row.number: row for row in report.rows}
    errors: dict[int, list[RowError]] = defaultdict(list)
    for error in report.errors:
        errors[error.row].append(error)
    for number, found in errors.items():
        row = by_number.get(number)
        values = {c.header: shown(row[c.attr]) if row else "" for c in columns}
        by_header: dict[str, list[str]] = defaultdict(list)
        for error in found:
            by_header[error.header or NON_FIELD_ERRORS].append(error.message)
        result.append_invalid_row(number, values, ValidationError(dict(by_header)))
    result.totals[RowResult.IMPORT_TYPE_INVALID] = len(errors)
    for action in report.actions:
        row = by_number.get(action.row)
        if row is None or action.row in errors:
            continue
        row_result = RowResult()
        row_result.import_type = IMPORT_TYPES[action.kind]
        row_result.number = action.row  # the Excel row, shown in the preview
        if report.dry_run:  # only the preview shows the cells; a confirmation gives counts
            row_result.diff = [_cell(row, c.attr, action.changed) for c in columns]
        result.append_row_result(row_result)
        result.increment_row_result_total(row_result)


def _cell(row: Row, attr: str, changed: dict[str, Any]) -> str | SafeString:
    new = shown(row[attr])
    if attr in changed:
        return format_html("<del>{}</del> <ins>{}</ins>", shown(changed[attr]), new)
    return new


class LedgerUploadStorage(TempFolderStorage):
    """Uploads wait for their confirmation under MEDIA_ROOT; those left unconfirmed longer than
    LEDGER_UPLOAD_MAX_AGE are deleted on the next upload."""

    @staticmethod
    def directory() -> Path:
        directory = Path(settings.MEDIA_ROOT) / "ledger-uploads"
        directory.mkdir(parents=True, exist_ok=True)
        oldest = time.time() - settings.LEDGER_UPLOAD_MAX_AGE.total_seconds()
        for waiting in directory.iterdir():
            if waiting.stat().st_mtime < oldest:
                waiting.unlink(missing_ok=True)
        return directory

    name: str | None

    def get_full_path(self) -> str:
        return str(self.directory() / Path(self.name or "").name)

    def remove(self) -> None:
        Path(self.get_full_path()).unlink(missing_ok=True)

    def exists(self) -> bool:
        return bool(self.name) and Path(self.get_full_path()).exists()

    def _open(self, mode: str = "r") -> Any:
        if not self.name:
            self.name = uuid.uuid4().hex
        return open(self.get_full_path(), mode.replace("w", "wb") if "b" not in mode else mode)
