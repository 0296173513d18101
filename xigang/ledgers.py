"""The Excel ledger (台账) engine shared by every kind: reading, cell parsing, errors, exports.

A kind (e.g. households) declares its columns and two methods: `plan` turns parsed rows into
actions or errors, `apply` writes the actions. The engine does the rest, the same way for the
admin, the `import_ledger` / `export_ledger` commands and the tests:

- the header row is the first of the first five rows that holds every required header; title
  and date lines above it are skipped; columns match by header text in any order;
- missing required headers refuse the whole file before any row is read; unknown ones are said;
- every error names the Excel row number, the header and what is wrong, in Chinese;
- all-or-nothing: any error and nothing is written; `dry_run` reports what would happen;
- exports are streamed by XlsxWriter and never write a cell a spreadsheet would run as a
  formula.

See docs/ledger-formats.md and docs/pitfalls.md, "Excel ledgers" (title rows, Excel dates, float
ID numbers, formula escaping).
"""

from __future__ import annotations

import datetime
import decimal
import itertools
import logging
import re
import unicodedata
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from pathlib import Path
from typing import IO, Any, ClassVar, cast

import xlsxwriter
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from xigang import history, kept, upload_limits
from xigang.idnumber import from_first_generation, id_number_error, normalise
from xigang.models import LedgerImport
from xigang.scope import visible

HEADER_SEARCH_ROWS = 15
logger = logging.getLogger(__name__)


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
    """What importing one row does: 'created', 'updated' or 'unchanged'. An update says what it
    changes in `changed`: column attr -> the stored value, in the file's terms (a name, not an
    id; a date, not a datetime), which the admin's preview shows struck through beside the
    file's cell."""

    kind: str
    row: int
    payload: Any = None
    changed: dict[str, Any] = field(default_factory=dict)


def changes(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The stored values (attr -> value) that `wanted` changes: an update's `Action.changed`
    when both sides are already in the file's terms."""
    return {attr: stored.get(attr) for attr, value in wanted.items() if stored.get(attr) != value}


@dataclass
class Report:
    kind: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)
    # (the file's header, the ledger's) where they differ: a synonym, a unit, a line break
    matched_headers: list[tuple[str, str]] = field(default_factory=list)
    written: bool = False
    # What the import read and planned, row by row (the admin's preview lists them).
    rows: list[Row] = field(default_factory=list, repr=False)
    actions: list[Action] = field(default_factory=list, repr=False)

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
        if self.matched_headers:
            out.append(
                _("columns read as: %(pairs)s")
                % {
                    "pairs": "、".join(
                        f"「{mine}」→「{ours}」" for mine, ours in self.matched_headers
                    )
                }
            )
        out.extend(str(error) for error in self.errors)
        out.extend(_("warning: %(warning)s") % {"warning": w} for w in self.warnings)
        return out


# --- cell parsers: each takes the raw cell value (not None, not blank) and returns a value ---

_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")  # 20250301
_MONTH_TEXT = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))$")  # 2025年3月, 202503
_EXCEL_EPOCH = datetime.date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap day)
_SERIALS = range(1, 73051)  # 1900-01-01 to 2099-12-31; 202503 is a month, not a serial


def parse_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps every number as a float: 123.0 was typed as 123
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _date_of(value: Any) -> datetime.date | None:
    """A day from a date cell, an Excel serial number in a General cell, 20250301 as a number
    or text, or the documented text forms; None when it is none of them."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and int(value) in _SERIALS:
            return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
        value = parse_text(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _DATE_TEXT.match(text) or _DATE_DIGITS.match(text)
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            return None
    return None


def parse_date(value: Any) -> datetime.date:
    day = _date_of(value)
    if day is not None:
        return day
    if _MONTH_TEXT.match(unicodedata.normalize("NFKC", parse_text(value))):
        raise CellError(
            _("「%(value)s」 names a month; this column needs the day, e.g. 2026-07-15")
            % {"value": parse_text(value)}
        )
    raise CellError(
        _(
            "「%(value)s」 is not a date; write it as 2026-07-15, 2026/7/15, 2026.7.15 or 2026年7月15日"
        )
        % {"value": parse_text(value)}
    )


def parse_month(value: Any) -> datetime.date:
    """A month field (its first day): 2025年3月, 2025-03, 202503, or any date of the month."""
    text = unicodedata.normalize("NFKC", parse_text(value))
    match = _MONTH_TEXT.match(text)
    if match and 1 <= int(match.group(2) or match.group(3)) <= 12:
        return datetime.date(int(match.group(1)), int(match.group(2) or match.group(3)), 1)
    day = _date_of(value)
    if day is not None:
        return day.replace(day=1)
    raise CellError(
        _("「%(value)s」 is not a month; write it as 2026年7月, 2026-07 or 202607")
        % {"value": text}
    )


def parse_bool(value: Any) -> bool:
    text = parse_text(value)
    if text == "是":
        return True
    if text == "否":
        return False
    raise CellError(_("「%(value)s」 is not 是 or 否") % {"value": text})


def parse_amount(value: Any) -> decimal.Decimal:
    """An amount of money in yuan, to the fen: 1200, 1200.5, 1,200.50 or ¥1200 (either width)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = decimal.Decimal(
            repr(value)
        )  # the float Excel keeps, as written (0.1, not 0.1000…)
    else:
        text = unicodedata.normalize("NFKC", parse_text(value))
        text = re.sub(r"[\s,¥]|元$", "", text)  # NFKC made ￥ into ¥
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            raise CellError(
                _("「%(value)s」 is not an amount; write it in yuan, e.g. 1200 or 1200.50")
                % {"value": parse_text(value)}
            )
        number = decimal.Decimal(text)
    if number != number.quantize(decimal.Decimal("0.01")):
        raise CellError(
            _("「%(value)s」 has more than two decimals") % {"value": parse_text(value)}
        )
    return number.quantize(decimal.Decimal("0.01"))


def parse_int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = parse_text(value)
    if re.fullmatch(r"\d+", text):
        return int(text)
    raise CellError(_("「%(value)s」 is not a whole number") % {"value": text})


# 3.70481E+17: how a CSV saved by Excel writes a long number it had as a number
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?E\+\d+$", re.IGNORECASE)


def _scientific(value: Any) -> bool:
    return (
        isinstance(value, str) and "E+" in value.upper() and bool(_SCIENTIFIC.match(value.strip()))
    )


@dataclass(frozen=True)
class Warned:
    """A parser's value that is read, with something the user should know (e.g. converted)."""

    value: Any
    message: str


def parse_id_number(value: Any) -> Any:
    """ID numbers must arrive as text: a number has lost its last digits (or its X). Stored as
    the house stores them (`xigang.idnumber.normalise`); a 15-digit first-generation number is
    converted to its 18 characters, with a warning."""
    if isinstance(value, int | float) or _scientific(value):
        raise CellError(
            _(
                "the ID number was stored by Excel as a number (%(value)s), which keeps only 15 "
                "significant digits: the last digits are lost and cannot be recovered. Format "
                "the column as text and type the number again"
            )
            % {"value": value}
        )
    text = normalise(str(value))
    converted = from_first_generation(text)
    if converted is not None and id_number_error(converted) is None:
        return Warned(
            converted,
            _("the 15-digit ID number %(old)s was converted to %(new)s; check it")
            % {"old": text, "new": converted},
        )
    error = id_number_error(text)
    if error:
        raise CellError(error)
    return text


def parse_code(value: Any) -> str:
    """A code such as 户编号 must arrive as text: as a number Excel keeps 15 significant digits
    and drops leading zeros (a number format only shows them), so the stored code would differ."""
    if (isinstance(value, int | float) and not isinstance(value, bool)) or _scientific(value):
        raise CellError(
            _(
                "the code was stored by Excel as a number (%(value)s): a number loses its leading "
                "zeros (001 is kept as 1) and its digits after the 15th, so it may not be the "
                "code that was typed. Format the column as text and type the codes again"
            )
            % {"value": parse_text(value)}
        )
    return parse_text(value)


def parse_list(value: Any) -> list[str]:
    """Items separated by 、 or , (either width)."""
    return [item.strip() for item in re.split(r"[、,，]", parse_text(value)) if item.strip()]


def _value_key(text: str) -> str:
    """A value as compared with a choice: full-width brackets and ASCII ones alike, no spaces."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def choice_parser(
    choices: Iterable[str], aliases: Mapping[str, str] | None = None
) -> Callable[[Any], str]:
    """One of `choices`, however its brackets and spaces are written, or a spelling `aliases`
    maps to one (e.g. the national system's 之子 for 子)."""
    allowed = list(choices)
    known = {_value_key(c): c for c in allowed}
    known.update({_value_key(a): c for a, c in (aliases or {}).items()})

    exact = set(allowed)

    def parse(value: Any) -> str:
        text = parse_text(value)
        if text in exact:
            return text  # the usual case, without normalising
        found = known.get(_value_key(text))
        if found is None:
            raise CellError(
                _("「%(value)s」 is not one of: %(allowed)s")
                % {"value": text, "allowed": " / ".join(allowed)}
            )
        return found

    return parse


@dataclass(frozen=True)
class Column:
    header: str
    attr: str
    parse: Callable[[Any], Any] = parse_text
    required: bool = False  # the header must be in the file
    key: bool = False  # part of the natural key (★); a key cell may not be empty
    max_length: int | None = None
    filled: bool = False  # a cell may not be empty (the record cannot be stored without it)


# --- reading ---------------------------------------------------------------------------------


def borrowed(
    ledger: type[LedgerKind],
    header: str,
    attr: str,
    *,
    key: bool = False,
    required: bool = False,
    filled: bool = False,
) -> Column:
    """A column of another ledger (its parser, choices and spellings) under another attr: for
    the kinds that feed other kinds' plans (national_persons, pairing_roster)."""
    column = next(c for c in ledger.columns if c.header == header)
    return dataclass_replace(column, attr=attr, key=key, required=required, filled=filled)


# Other names offices give the columns (compared as `header_key` compares them).
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "户编号": ("户码", "户号", "家庭编号", "户编码"),
    "村": ("行政村", "村名", "所在村", "村名称", "村居", "所属村"),
    "村名称": ("行政村", "村名", "村居"),
    "户主姓名": ("户主", "户主名字"),
    "户主身份证号": (
        "户主证件号码",
        "户主身份证号码",
        "户主身份证",
        "户主公民身份号码",
        "证件号码",
        "身份证号",
        "身份证号码",
    ),
    "身份证号": ("证件号码", "身份证号码", "身份证", "公民身份号码", "居民身份证号码"),
    "姓名": ("成员姓名", "人员姓名"),
    "家庭人口": ("人数", "家庭人数", "人口数", "家庭人口数", "户人数"),
    "联系电话": ("电话", "联系方式", "电话号码", "手机号码", "户主电话"),
    "手机号": ("手机号码", "联系电话", "电话", "手机"),
    "主要致贫原因": ("致贫原因",),
    "识别年度": ("识别年份", "纳入年度"),
    "脱贫年度": ("脱贫年份",),
    "贫困户属性": ("贫困属性", "户属性"),
    "与户主关系": ("与户主的关系",),
    "健康状况": ("健康状态",),
    "劳动能力": ("劳动技能", "劳动力状况", "劳动力"),
    "在校生状况": ("在校生情况", "在校情况", "在校状况"),
    "开始日期": ("帮扶开始时间", "帮扶开始日期", "结对日期", "结对时间", "开始时间"),
    "结束日期": ("帮扶结束时间", "帮扶结束日期", "结束时间"),
    "帮扶责任人": ("帮扶人", "帮扶干部", "结对干部"),
    "帮扶责任人姓名": ("帮扶责任人", "帮扶人", "帮扶干部", "帮扶人姓名", "姓名"),
    "日期": ("走访日期", "帮扶日期", "走访时间", "帮扶时间"),
    "方式": ("帮扶方式", "走访方式"),
    "内容": ("帮扶内容", "走访内容", "帮扶措施"),
    "变动日期": ("变动时间",),
    "上报日期": ("上报时间", "报告日期"),
    "单位": ("工作单位", "所在单位", "责任单位", "被问责单位", "受表扬单位", "单位名称"),
    "问题类别": ("问题类型", "问题分类"),
    "问题描述": ("问题内容", "存在问题", "问题"),
    "发现日期": ("发现时间",),
    "办结日期": ("办结时间", "解决日期", "整改完成日期"),
    "办理情况": ("处理情况", "解决情况", "办理结果"),
    "发生日期": ("发生时间", "事发日期", "事发时间"),
    "原因": ("致困原因", "救助原因", "困难类型"),
    "支出金额": ("支出", "刚性支出", "花费金额", "医疗费用"),
    "救助日期": ("救助时间", "发放日期"),
    "救助金额": ("救助资金", "发放金额"),
    "情况说明": ("基本情况", "事由"),
    "问责方式": ("问责措施", "处理方式", "处理结果"),
    "情节": ("情节轻重",),
    "决定日期": ("问责日期", "处理日期", "决定时间"),
    "问责事由": ("问责原因", "主要问题", "事由"),
    "表扬事由": ("表扬原因", "主要事迹", "事迹"),
    "表扬日期": ("表彰日期", "表扬时间", "表彰时间"),
    "个人": ("责任人", "被问责人", "受表扬个人", "用户名"),
}
# Rows that are not records: totals, signatures, notes (their first filled cell says so).
_NOT_A_RECORD = (
    "合计",
    "小计",
    "总计",
    "制表",
    "审核",
    "填表",
    "填报",
    "负责人",
    "说明",
    "注:",
    "备注:",
)
_NOT_A_RECORD_STARTS = frozenset(word[0] for word in _NOT_A_RECORD)
_UNIT = re.compile(r"[(\[【〔<][^)\]】〕>]*[)\]】〕>]")
_GROUP_WORDS = re.compile(r"(信息|情况|基本信息)$")  # 户主信息 over 姓名: read as 户主姓名


def header_key(text: Any) -> str:
    """A header as compared: full width made ASCII, units in brackets, spaces, line breaks and
    required marks removed (「户主\n身份证号」 and 「家庭人口（人）」 read as 户主身份证号, 家庭人口)."""
    if _blank(text):
        return ""
    folded = _UNIT.sub("", unicodedata.normalize("NFKC", parse_text(text)))
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "*★☆:")


def _open_rows(
    source: str | Path | IO[bytes], choose: Callable[[list[tuple[Any, ...]]], bool] | None = None
) -> Generator[tuple[Any, ...], None, None]:
    """The rows of the first worksheet that `choose` accepts, as values, read by calamine
    (Rust), much faster than openpyxl's read-only mode, which was most of an import's time; or
    a CSV's. Numbers arrive as floats and empty cells as "": the cell parsers take both. The
    file is checked first and parsed in a child process under a memory cap
    (`xigang.upload_limits`): a workbook built to exhaust the parser is refused, and the worker
    lives on."""
    try:
        yield from upload_limits.read_rows(source, choose)
    except ValidationError as exc:
        raise LedgerError(exc.messages[0]) from exc


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class _Header:
    """Where the header is: its last row (1-based), each column's index, what else it names."""

    last_row: int
    at: dict[str, int]  # column attr -> cell index
    texts: dict[int, str]  # cell index -> the header as the file writes it
    unknown: list[str]


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
    # True when the records carry who entered them: importing needs a real user account.
    needs_author: ClassVar[bool] = False
    # True when `plan` writes what later rows depend on (national_persons writes the households
    # its members are planned against): the engine rolls back a dry run or a refusal.
    writes_in_plan: ClassVar[bool] = False
    # Headers exported after the columns and ignored on import: what the server set (entry
    # time, author, 补录), which no file can write.
    entry_headers: ClassVar[list[str]] = []

    def __init__(
        self, user: User | AnonymousUser, *, only: QuerySet | None = None, filter_label: str = ""
    ):
        self.user = user
        # An export of what a list shows (the admin's filters): those rows only, and said.
        self.only = only
        self.filter_label = filter_label
        # The import being written (set by `import_ledger` before `apply`): kinds whose records
        # carry their import stamp the rows they create with it.
        self.ledger_import: LedgerImport | None = None

    def exported(self, queryset: QuerySet) -> QuerySet:
        """The rows an export lists: the user's scope, narrowed to `only` when given."""
        rows = visible(self.user, queryset)
        if self.only is not None:
            rows = rows.filter(pk__in=self.only.values("pk"))
        return rows

    # --- import ---
    def read(self, source: str | Path | IO[bytes], report: Report) -> list[Row]:
        with closing(_open_rows(source, self._has_header)) as rows:
            return self._read_rows(rows, report)

    def _has_header(self, head: list[tuple[Any, ...]]) -> bool:
        return self._locate_header(head)[0] is not None

    def _read_rows(self, rows: Iterator[tuple[Any, ...]], report: Report) -> list[Row]:
        head = [row for _n, row in zip(range(HEADER_SEARCH_ROWS + 1), rows, strict=False)]
        header, missing = self._locate_header(head)
        if header is None:
            raise LedgerError(
                _(
                    "the file is refused: required columns missing: %(missing)s (the header row "
                    "must be within the first %(n)d rows of the first worksheet)"
                )
                % {"missing": "、".join(missing), "n": HEADER_SEARCH_ROWS}
            )
        entry_keys = {header_key(h) for h in self.entry_headers}  # exported, not imported
        report.unknown_headers = [h for h in header.unknown if header_key(h) not in entry_keys]
        columns = [(c, header.at[c.attr]) for c in self.columns if c.attr in header.at]
        report.matched_headers = [
            (header.texts[i], c.header) for c, i in columns if header.texts[i] != c.header
        ]
        present = frozenset(c.attr for c, _i in columns)
        indexes = [i for _c, i in columns]
        out: list[Row] = []
        data = itertools.chain(head[header.last_row :], rows)
        for number, cells in enumerate(data, start=header.last_row + 1):
            if self._not_a_record(cells, indexes, number - header.last_row):
                continue
            values: dict[str, Any] = {}
            for column, index in columns:
                raw = cells[index] if index < len(cells) else None
                if _blank(raw):
                    if column.key or column.filled:
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
                if isinstance(value, Warned):
                    report.warnings.append(RowError(number, column.header, value.message))
                    value = value.value
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

    @staticmethod
    def _not_a_record(cells: tuple[Any, ...], indexes: list[int], after_header: int) -> bool:
        """Blank rows (a 序号 alone counts as blank), 合计/小计/制表人/审核人/说明 rows, and the
        row of column numbers (1, 2, 3 …) some forms print under the header."""
        if all(i >= len(cells) or _blank(cells[i]) for i in indexes):
            return True
        first = next((c for c in cells if not _blank(c)), None)
        if (
            isinstance(first, str)
            and first.lstrip()[:1] in _NOT_A_RECORD_STARTS  # cheap: most rows start otherwise
            and header_key(first).startswith(_NOT_A_RECORD)
        ):
            return True
        if after_header <= 2:
            filled = [c for c in cells if not _blank(c)]
            numbers = [parse_text(c) for c in filled]
            return len(filled) >= 3 and numbers == [str(n) for n in range(1, len(filled) + 1)]
        return False

    def _locate_header(self, head: list[tuple[Any, ...]]) -> tuple[_Header | None, list[str]]:
        """The header among the first rows: one row, or two rows joined (户主信息 over 姓名 /
        身份证号, other headers merged down over both). Otherwise the required headers missing
        from the row that came closest."""
        required = [c for c in self.columns if c.required or c.key]
        best_missing = [c.header for c in required]
        for index in range(min(len(head), HEADER_SEARCH_ROWS)):
            top = [header_key(c) for c in head[index]]
            found = self._match([[k] for k in top])
            missing = [c.header for c in required if c.attr not in found]
            if index + 1 < len(head):
                joined = self._match(self._pair_candidates(head[index], head[index + 1]))
                # Two rows only when the second adds headers under a group (a cell merged
                # across) or under blanks: a data row below a header must not count.
                grouped = {i for i, k in enumerate(top) if not k or k in top[:i] + top[i + 1 :]}
                added = {joined[a] for a in joined if a not in found or joined[a] != found[a]}
                alone = self._match([[header_key(c)] for c in head[index + 1]])
                if (
                    all(c.attr in joined for c in required)
                    and added
                    and added <= grouped
                    and len(alone) < len(joined)  # not a title line over a one-row header
                ):
                    return self._header(index + 2, joined, head[index], head[index + 1]), []
            if not missing:
                return self._header(index + 1, found, head[index], None), []
            if len(missing) < len(best_missing):
                best_missing = missing
        return None, best_missing

    @staticmethod
    def _pair_candidates(top: tuple[Any, ...], bottom: tuple[Any, ...]) -> list[list[str]]:
        out = []
        for index in range(max(len(top), len(bottom))):
            upper = header_key(top[index]) if index < len(top) else ""
            lower = header_key(bottom[index]) if index < len(bottom) else ""
            if upper == lower:
                out.append([upper])  # a header merged down over both rows
            else:
                out.append([_GROUP_WORDS.sub("", upper) + lower, upper + lower, lower, upper])
        return out

    def _match(self, candidates: list[list[str]]) -> dict[str, int]:
        """Column attr -> cell index: each column's own header first, then its synonyms."""
        at: dict[str, int] = {}
        taken: set[int] = set()
        for level in (0, 1):
            for column in self.columns:
                if column.attr in at:
                    continue
                names = (
                    {header_key(column.header)}
                    if level == 0
                    else {header_key(s) for s in HEADER_SYNONYMS.get(column.header, ())}
                )
                for index, keys in enumerate(candidates):
                    if index not in taken and any(k in names for k in keys if k):
                        at[column.attr] = index
                        taken.add(index)
                        break
        return at

    @staticmethod
    def _header(
        last_row: int, at: dict[str, int], top: tuple[Any, ...], bottom: tuple[Any, ...] | None
    ) -> _Header:
        texts: dict[int, str] = {}
        for index in range(max(len(top), len(bottom or ()))):
            parts = [
                parse_text(row[index])
                for row in (top, bottom)
                if row is not None and index < len(row) and not _blank(row[index])
            ]
            if len(parts) == 2 and parts[0] == parts[1]:
                parts = parts[:1]
            if parts:
                texts[index] = "/".join(parts)
        used = set(at.values())
        unknown = [t for i, t in texts.items() if i not in used]
        return _Header(last_row, at, texts, unknown)

    def plan(self, rows: list[Row], report: Report) -> list[Action]:
        """Validate every row against the database and decide its action; append errors."""
        raise NotImplementedError

    def apply(self, actions: list[Action]) -> None:
        """Write the planned actions (inside the import's transaction)."""
        raise NotImplementedError

    def header_for(self, attr: str) -> str:
        return next(c.header for c in self.columns if c.attr == attr)

    def keeps(self, row: Row, stored: Mapping[str, Any], report: Report) -> bool:
        """Whether the row leaves a record's `stored` fields (attr -> value) as recorded; a
        filled cell that differs is an error: those are corrected on the record, never by a
        ledger (a blank cell keeps the record's value)."""
        kept = True
        for attr, value in stored.items():
            if attr in row.present and row[attr] is not None and row[attr] != value:
                kept = False
                message = _("「%(value)s」 is recorded; a ledger does not change it") % {
                    "value": parse_text(value) if value is not None else ""
                }
                report.errors.append(RowError(row.number, self.header_for(attr), message))
        return kept

    # --- export ---
    def export_rows(self) -> Iterable[Iterable[Any]]:
        """The rows of the user's scope, one tuple per record, in column order."""
        raise NotImplementedError


def _file_name(source: str | Path | IO[bytes]) -> str:
    name = source if isinstance(source, str | Path) else getattr(source, "name", "")
    return Path(str(name or "")).name


def _needs_a_user(kind: LedgerKind) -> str:
    return _(
        "the ledger 「%(title)s」 records who entered each row: import it as a user "
        "(import_ledger … --user USERNAME)"
    ) % {"title": kind.title}


def _check_importable(kind: LedgerKind) -> None:
    if not kind.importable:
        raise LedgerError(
            _("the ledger 「%(title)s」 is exported only; it cannot be imported")
            % {"title": kind.title}
        )
    if not kind.user.has_perm(kind.permission):
        raise LedgerError(_("you may not import the ledger 「%(title)s」") % {"title": kind.title})
    if kind.needs_author and kind.user.pk is None:  # refused before the dry run too
        raise LedgerError(_needs_a_user(kind))


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
    _check_importable(kind)
    report = Report(kind=kind.name, dry_run=dry_run)
    rows = kind.read(source, report)
    return import_rows(kind, rows, report, file_name=file_name or _file_name(source))


def import_rows(kind: LedgerKind, rows: list[Row], report: Report, *, file_name: str) -> Report:
    """Plan and, unless `report.dry_run`, write rows already read (`LedgerKind.read`) into
    `report`: the second half of `import_ledger`, for readers of their own (the admin's)."""
    _check_importable(kind)
    dry_run = report.dry_run
    report.rows = rows
    try:
        with transaction.atomic(), history.batch("ledger") as batch_id:
            # One pass: the rows are checked against the register even when cells were
            # refused, so that every error comes at once, in the order of the file.
            actions = kind.plan(rows, report)
            report.actions = actions
            if kind.writes_in_plan and (report.errors or dry_run):
                transaction.set_rollback(True)  # a refusal or a dry run leaves nothing behind
            if report.errors:
                report.errors.sort(key=lambda error: error.row)
                return report
            for action in actions:
                setattr(report, action.kind, getattr(report, action.kind) + 1)
            if not dry_run:
                if kind.user.pk is None:  # every written import records who made it
                    raise LedgerError(_needs_a_user(kind))
                kind.ledger_import = LedgerImport.objects.create(
                    kind=kind.name,
                    file_name=file_name[:255],
                    imported_by=cast(User, kind.user),  # has_perm passed: a signed-in user
                    batch=batch_id,
                )
                kind.apply(actions)
                # The change history: kinds write with bulk_create/bulk_update, which send no
                # signals, so each written row is recorded here from its Action (kind, Excel
                # row, payload), under the batch id that single saves inside `apply` carry too.
                history.record_import(kind.name, actions)
                report.written = True
    except (IntegrityError, DataError, ValidationError) as exc:
        # A rule the plan missed: everything is undone and the user told, never a traceback.
        logger.exception("ledger %s: a planned row was refused on writing", kind.name)
        reason = (
            "；".join(exc.messages)
            if isinstance(exc, ValidationError)
            else _("the database refused a row")
        )
        raise LedgerError(
            _("the file could not be written, nothing was written (%(reason)s); please report it")
            % {"reason": reason}
        ) from exc
    if report.written:
        kept.compact()  # SQLite noted each written row: the pages' versions stay one short read
    return report


# --- writing ---------------------------------------------------------------------------------

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


WIDTH_SAMPLE = 200  # rows read ahead to fit the column widths (rows are written once, in order)
MAX_WIDTH = 60
# XlsxWriter in constant-memory mode streams rows to disk (1.3x openpyxl's write-only mode,
# benchmarks/README.md); it never turns a string into a formula, a number or a link.
WRITER_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def _width(value: Any) -> int:
    """Characters a value takes in a cell, Chinese counting double."""
    if value is None:
        return 0
    if isinstance(value, datetime.datetime):
        return 16
    if isinstance(value, datetime.date):
        return 10
    text = str(value)
    return len(text) + sum(1 for ch in text if ord(ch) >= 0x2E80)


def write_workbook(
    target: str | Path | IO[bytes],
    *,
    title: str,
    headers: list[str],
    rows: Iterable[Iterable[Any]],
    subtitle: str = "",
) -> int:
    """Write a title line, the header row and the rows (streamed) as people can use them:
    columns as wide as their first rows need, the header frozen, a filter on it, dates and
    times as Excel dates, text that a spreadsheet would run as a formula kept text. Returns the
    row count."""
    book = xlsxwriter.Workbook(str(target) if isinstance(target, Path) else target, WRITER_OPTIONS)
    sheet = book.add_worksheet(title[:31])
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    time_format = book.add_format({"num_format": "yyyy-mm-dd h:mm:ss"})
    text_format = book.add_format({"quote_prefix": True})  # stays text when the cell is edited
    rows = iter(rows)
    sample = [list(row) for row in itertools.islice(rows, WIDTH_SAMPLE)]
    for index, header in enumerate(headers):
        width = max([_width(header), *(_width(r[index]) for r in sample if index < len(r))])
        sheet.set_column(index, index, min(width + 2, MAX_WIDTH))
    header_row = 2 if subtitle else 1  # 0-based: under the title (and the subtitle)
    sheet.freeze_panes(header_row + 1, 0)
    sheet.write_string(0, 0, title, book.add_format({"bold": True, "font_size": 14}))
    if subtitle:
        sheet.write_string(1, 0, subtitle)
    bold = book.add_format({"bold": True})
    for index, header in enumerate(headers):
        sheet.write_string(header_row, index, header, bold)
    write_string, write_number = sheet.write_string, sheet.write_number
    number = header_row
    for number, row in enumerate(itertools.chain(sample, rows), start=header_row + 1):
        for column, value in enumerate(row):
            if value is None or value == "":
                continue  # an empty cell, as Excel leaves it
            if isinstance(value, str):
                if value.startswith(FORMULA_TRIGGERS):
                    write_string(number, column, value, text_format)
                else:
                    write_string(number, column, value)
            elif isinstance(value, bool):
                sheet.write_boolean(number, column, value)
            elif isinstance(value, int | float | decimal.Decimal):
                write_number(number, column, value)
            elif isinstance(value, datetime.datetime):
                if value.tzinfo is not None:  # Excel has no time zones: the town's local time
                    value = timezone.localtime(value).replace(tzinfo=None)
                sheet.write_datetime(number, column, value, time_format)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(number, column, value, date_format)
            else:
                write_string(number, column, str(value))
    count = number - header_row
    sheet.autofilter(header_row, 0, header_row + count, max(len(headers), 1) - 1)
    book.close()
    return count


@dataclass
class Sheet:
    """What an export writes: the ledger's title, the filter and date line, headers, rows."""

    title: str
    subtitle: str
    headers: list[str]
    rows: Iterable[Iterable[Any]]


def export_sheet(kind: LedgerKind) -> Sheet:
    """The kind's export, not yet written (`export_ledger` and the admin's formats write it)."""

    if not kind.user.has_perm(kind.export_permission):
        raise LedgerError(_("you may not export the ledger 「%(title)s」") % {"title": kind.title})
    today = timezone.localdate().isoformat()
    subtitle = (
        _("filter: %(filter)s; exported %(date)s") % {"filter": kind.filter_label, "date": today}
        if kind.filter_label
        else _("exported %(date)s") % {"date": today}
    )
    headers = [c.header for c in kind.columns] + kind.entry_headers
    return Sheet(kind.title, subtitle, headers, kind.export_rows())


def export_ledger(kind: LedgerKind, target: str | Path | IO[bytes]) -> int:
    sheet = export_sheet(kind)
    count = write_workbook(
        target, title=sheet.title, subtitle=sheet.subtitle, headers=sheet.headers, rows=sheet.rows
    )
    history.record_export(kind.user, f"ledger.{kind.name}", count, detail=kind.title)
    return count


# --- registry --------------------------------------------------------------------------------

# Filled by the business apps' `ledgers.py` (imported when the app is ready, xigang.apps).
KINDS: dict[str, type[LedgerKind]] = {}


def register(kind: type[LedgerKind]) -> type[LedgerKind]:
    KINDS[kind.name] = kind
    return kind


# Filled by an app that runs large imports in the background (notices/ledgers.py): given the
# kind's name, the upload, its user name and who uploads it, a runner returns the page to go
# to once it has queued the import, or None to leave the import to the request.
BackgroundRunner = Callable[..., str | None]
BACKGROUND: list[BackgroundRunner] = []


def register_background(runner: BackgroundRunner) -> BackgroundRunner:
    BACKGROUND.append(runner)
    return runner


def run_in_background(*, kind: str, source: Any, file_name: str, user: Any) -> str | None:
    """Queue the import of `source` if an app runs imports of its size in the background; the
    page to go to then, else None."""
    for runner in BACKGROUND:
        page = runner(kind=kind, source=source, file_name=file_name, user=user)
        if page:
            return page
    return None


def get_kind(name: str) -> type[LedgerKind]:
    if name not in KINDS:
        raise LedgerError(
            _("unknown ledger 「%(name)s」; known: %(known)s")
            % {"name": name, "known": ", ".join(sorted(KINDS))}
        )
    return KINDS[name]
