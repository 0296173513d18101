"""The Excel ledger (台账) engine shared by every kind: reading, cell parsing, errors, exports.

A kind (e.g. households) declares its columns and two methods: `plan` turns parsed rows into
actions or errors, `apply` writes the actions. The engine does the rest, the same way for the
admin, the `import_ledger` / `export_ledger` commands and the tests:

- the header row is the first of the first five rows that holds every required header; title
  and date lines above it are skipped; columns match by header text in any order;
- missing required headers refuse the whole file before any row is read; unknown ones are said;
- every error names the Excel row number, the header and what is wrong, in Chinese;
- all-or-nothing: any error and nothing is written; `dry_run` reports what would happen;
- exports use openpyxl's write-only mode and never write a cell a spreadsheet would run as a
  formula.

See docs/ledger-formats.md and docs/pitfalls.md, "Excel ledgers" (title rows, Excel dates, float
ID numbers, formula escaping).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar, cast

import openpyxl
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from xigang import history, upload_limits
from xigang.idnumber import id_number_error, normalise
from xigang.models import LedgerImport

HEADER_SEARCH_ROWS = 5


class LedgerError(Exception):
    """The whole file is refused (not an xlsx, required headers missing, no permission)."""


class CellError(ValueError):
    """A cell's value cannot be read; the message says why, in the user's language."""


@dataclass(frozen=True)
class RowError:
    row: int
    header: str
    message: str

    def __str__(self) -> str:
        if self.header:
            return _("row %(row)d, column 「%(header)s」: %(message)s") % {
                "row": self.row,
                "header": self.header,
                "message": self.message,
            }
        return _("row %(row)d: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class Row:
    """One data row: its Excel row number and its parsed values by column attribute."""

    number: int
    values: dict[str, Any]
    present: frozenset[str]  # attributes whose columns the file has

    def __getitem__(self, attr: str) -> Any:
        return self.values.get(attr)


@dataclass
class Action:
    """What importing one row does: 'create', 'update' or 'unchanged'."""

    kind: str
    row: int
    payload: Any = None


@dataclass
class Report:
    kind: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        counts = _("%(created)d to create, %(updated)d to update, %(unchanged)d unchanged") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
        if self.errors:
            return _("refused, nothing written: %(n)d errors") % {"n": len(self.errors)}
        if self.written:
            return _("imported: %(counts)s") % {"counts": counts}
        return _("checked, nothing written: %(counts)s") % {"counts": counts}

    def lines(self) -> list[str]:
        out = [self.summary()]
        if self.unknown_headers:
            out.append(
                _("columns ignored (not part of this ledger): %(headers)s")
                % {"headers": "、".join(self.unknown_headers)}
            )
        out.extend(str(error) for error in self.errors)
        return out


# --- cell parsers: each takes the raw cell value (not None, not blank) and returns a value ---

_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps every number as a float: 123.0 was typed as 123
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def parse_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = _DATE_TEXT.match(str(value).strip())
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise CellError(
        _(
            "「%(value)s」 is not a date; write it as 2026-07-15, 2026/7/15, 2026.7.15 or 2026年7月15日"
        )
        % {"value": value}
    )


def parse_bool(value: Any) -> bool:
    text = parse_text(value)
    if text == "是":
        return True
    if text == "否":
        return False
    raise CellError(_("「%(value)s」 is not 是 or 否") % {"value": text})


def parse_int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = parse_text(value)
    if re.fullmatch(r"\d+", text):
        return int(text)
    raise CellError(_("「%(value)s」 is not a whole number") % {"value": text})


def parse_id_number(value: Any) -> str:
    """ID numbers must arrive as text: a number has lost its last digits (or its X)."""
    if isinstance(value, int | float):
        raise CellError(
            _(
                "the ID number was stored by Excel as a number (%(value)s), which keeps only 15 "
                "significant digits: the last digits are lost and cannot be recovered. Format "
                "the column as text and type the number again"
            )
            % {"value": value}
        )
    text = normalise(str(value))
    error = id_number_error(text)
    if error:
        raise CellError(error)
    return text


def parse_list(value: Any) -> list[str]:
    """Items separated by 、 or , (either width)."""
    return [item.strip() for item in re.split(r"[、,，]", parse_text(value)) if item.strip()]


def choice_parser(choices: Iterable[str]) -> Callable[[Any], str]:
    allowed = list(choices)

    def parse(value: Any) -> str:
        text = parse_text(value)
        if text not in allowed:
            raise CellError(
                _("「%(value)s」 is not one of: %(allowed)s")
                % {"value": text, "allowed": " / ".join(allowed)}
            )
        return text

    return parse


@dataclass(frozen=True)
class Column:
    header: str
    attr: str
    parse: Callable[[Any], Any] = parse_text
    required: bool = False  # the header must be in the file
    key: bool = False  # part of the natural key (★); a key cell may not be empty
    max_length: int | None = None


# --- reading ---------------------------------------------------------------------------------


def _open_rows(source: str | Path | IO[bytes]) -> Generator[tuple[Any, ...], None, None]:
    """The first worksheet's rows as values, read by calamine (Rust), much faster than openpyxl's
    read-only mode, which was most of an import's time. Numbers arrive as floats and empty cells
    as "": the cell parsers take both. The file is checked first and parsed in a child process
    under a memory cap (`xigang.upload_limits`): a workbook built to exhaust the parser is
    refused, and the worker lives on."""
    try:
        upload_limits.check_workbook(source)
        yield from upload_limits.read_first_sheet(source)
    except ValidationError as exc:
        raise LedgerError(exc.messages[0]) from exc


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class LedgerKind:
    """A ledger kind. Subclasses set `name`, `title`, `columns`, and implement the methods."""

    name: ClassVar[str]
    title: ClassVar[str]
    columns: ClassVar[list[Column]]
    permission: ClassVar[
        str
    ]  # the model permission that importing needs, e.g. "duties.add_village"
    export_permission: ClassVar[str]  # the one exporting needs, e.g. "duties.view_village"
    importable: ClassVar[bool] = True  # False for report-like ledgers that are only exported
    # Headers exported after the columns and ignored on import: what the server set (entry
    # time, author, 补录), which no file can write.
    entry_headers: ClassVar[list[str]] = []

    def __init__(self, user: User | AnonymousUser):
        self.user = user
        # The import being written (set by `import_ledger` before `apply`): kinds whose records
        # carry their import stamp the rows they create with it.
        self.ledger_import: LedgerImport | None = None

    # --- import ---
    def read(self, source: str | Path | IO[bytes], report: Report) -> list[Row]:
        with closing(_open_rows(source)) as rows:
            return self._read_rows(rows, report)

    def _read_rows(self, rows: Iterator[tuple[Any, ...]], report: Report) -> list[Row]:
        header_at, header_row = self._find_header(rows)
        known = {c.header for c in self.columns} | set(self.entry_headers)
        report.unknown_headers = [h for h in header_at if h not in known]
        columns = [(c, header_at[c.header]) for c in self.columns if c.header in header_at]
        present = frozenset(c.attr for c, _i in columns)
        out: list[Row] = []
        for number, cells in enumerate(rows, start=header_row + 1):
            if all(_blank(c) for c in cells):
                continue
            values: dict[str, Any] = {}
            for column, index in columns:
                raw = cells[index] if index < len(cells) else None
                if _blank(raw):
                    if column.key:
                        report.errors.append(
                            RowError(number, column.header, _("must not be empty"))
                        )
                    values[column.attr] = None
                    continue
                try:
                    value = column.parse(raw)
                except CellError as exc:
                    report.errors.append(RowError(number, column.header, str(exc)))
                    continue
                if column.max_length and isinstance(value, str) and len(value) > column.max_length:
                    report.errors.append(
                        RowError(
                            number,
                            column.header,
                            _("at most %(n)d characters, this has %(m)d")
                            % {"n": column.max_length, "m": len(value)},
                        )
                    )
                    continue
                values[column.attr] = value
            out.append(Row(number, values, present))
        return out

    def _find_header(self, rows: Iterator[tuple[Any, ...]]) -> tuple[dict[str, int], int]:
        """The header row within the first rows (consumed from `rows`): each header's column."""
        required = [c.header for c in self.columns if c.required or c.key]
        header_at: dict[str, int] | None = None
        header_row = 0
        best_missing = required
        for number, cells in enumerate(rows, start=1):
            texts = [parse_text(c) if not _blank(c) else "" for c in cells]
            missing = [h for h in required if h not in texts]
            if not missing:
                header_at = {}
                for index, text in enumerate(texts):
                    if text and text not in header_at:
                        header_at[text] = index
                header_row = number
                break
            if len(missing) < len(best_missing):
                best_missing = missing
            if number >= HEADER_SEARCH_ROWS:
                break
        if header_at is None:
            raise LedgerError(
                _(
                    "the file is refused: required columns missing: %(missing)s (the header row "
                    "must be within the first %(n)d rows of the first worksheet)"
                )
                % {"missing": "、".join(best_missing), "n": HEADER_SEARCH_ROWS}
            )
        return header_at, header_row

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        """Validate every row against the database and decide its action; append errors."""
        raise NotImplementedError

    def apply(self, actions: list[Action]) -> None:
        """Write the planned actions (inside the import's transaction)."""
        raise NotImplementedError

    def header_for(self, attr: str) -> str:
        return next(c.header for c in self.columns if c.attr == attr)

    # --- export ---
    def export_rows(self) -> Iterable[Iterable[Any]]:
        """The rows of the user's scope, one tuple per record, in column order."""
        raise NotImplementedError


def _file_name(source: str | Path | IO[bytes]) -> str:
    name = source if isinstance(source, str | Path) else getattr(source, "name", "")
    return Path(str(name or "")).name


def import_ledger(
    kind: LedgerKind,
    source: str | Path | IO[bytes],
    *,
    dry_run: bool = False,
    file_name: str = "",
) -> Report:
    """Import a workbook all-or-nothing. Raises LedgerError when the whole file is refused.
    A written import is recorded (`LedgerImport`: the ledger, `file_name` or the source's
    name, the user, the time) and handed to the kind for its rows' import mark."""
    if not kind.importable:
        raise LedgerError(
            _("the ledger 「%(title)s」 is exported only; it cannot be imported")
            % {"title": kind.title}
        )
    if not kind.user.has_perm(kind.permission):
        raise LedgerError(_("you may not import the ledger 「%(title)s」") % {"title": kind.title})
    report = Report(kind=kind.name, dry_run=dry_run)
    rows = kind.read(source, report)
    with transaction.atomic(), history.batch("ledger") as batch_id:
        actions = kind.plan(rows, report) if not report.errors else []
        if report.errors:
            return report
        for action in actions:
            setattr(report, action.kind, getattr(report, action.kind) + 1)
        if not dry_run:
            kind.ledger_import = LedgerImport.objects.create(
                kind=kind.name,
                file_name=(file_name or _file_name(source))[:255],
                imported_by=cast(User, kind.user),  # has_perm passed: a signed-in user
                batch=batch_id,
            )
            kind.apply(actions)
            # The change history: kinds write with bulk_create/bulk_update, which send no
            # signals, so each written row is recorded here from its Action (kind, Excel row,
            # payload), under the batch id that single saves inside `apply` carry too.
            history.record_import(kind.name, actions)
            report.written = True
    return report


# --- writing ---------------------------------------------------------------------------------

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # a literal string, never a formula
        cell.quotePrefix = True  # and a spreadsheet keeps it text when the cell is edited
        return cell
    return value


def write_workbook(
    target: str | Path | IO[bytes],
    *,
    title: str,
    headers: list[str],
    rows: Iterable[Iterable[Any]],
    subtitle: str = "",
) -> int:
    """Write a title line, the header row and the rows (write-only mode). Returns the row count."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    title_cell = WriteOnlyCell(sheet, value=title)
    title_cell.font = Font(bold=True, size=14)
    sheet.append([title_cell])
    if subtitle:
        sheet.append([subtitle])
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
        count += 1
    book.save(target)
    return count


def export_ledger(kind: LedgerKind, target: str | Path | IO[bytes]) -> int:
    from django.utils import timezone

    if not kind.user.has_perm(kind.export_permission):
        raise LedgerError(_("you may not export the ledger 「%(title)s」") % {"title": kind.title})
    count = write_workbook(
        target,
        title=kind.title,
        subtitle=_("exported %(date)s") % {"date": timezone.localdate().isoformat()},
        headers=[c.header for c in kind.columns] + kind.entry_headers,
        rows=kind.export_rows(),
    )
    history.record_export(kind.user, f"ledger.{kind.name}", count, detail=kind.title)
    return count


# --- registry --------------------------------------------------------------------------------

# Filled by the business apps' `ledgers.py` (imported when the app is ready, xigang.apps).
KINDS: dict[str, type[LedgerKind]] = {}


def register(kind: type[LedgerKind]) -> type[LedgerKind]:
    KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> type[LedgerKind]:
    if name not in KINDS:
        raise LedgerError(
            _("unknown ledger 「%(name)s」; known: %(known)s")
            % {"name": name, "known": ", ".join(sorted(KINDS))}
        )
    return KINDS[name]
