"""An HTML table saved under an .xls name, read as a worksheet.

The national system's 导出 (and many office tools) give a ".xls" that is a web page: one or more
`<table>`s, in GBK or UTF-8, the encoding said by a `<meta charset>` or not at all. Each table is
read as a sheet: cells as text (Excel keeps them so too: 001 and long ID numbers stay as typed),
`<br>` as a line break, cells merged with rowspan/colspan filled down and across, as the
workbook reader fills merged ranges (`xigang.upload_limits._merge_fills`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)
_GBK_FAMILY = {"gbk", "gb2312", "gb18030", "x-gbk", "cp936"}  # read as their superset
_UTF8_BOM = b"\xef\xbb\xbf"


def is_html(head: bytes) -> bool:
    """Whether a file's first bytes are those of a web page (not a CSV that starts with <)."""
    text = head.removeprefix(_UTF8_BOM).lstrip().lower()
    return text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head"))


def decode(data: bytes) -> str | None:
    """The page's text: its BOM or `<meta charset>` first, then UTF-8, then GB18030 (GBK's
    superset); None when none of them reads it."""
    if data.startswith(_UTF8_BOM):
        return data[len(_UTF8_BOM) :].decode("utf-8", errors="replace")
    declared = _CHARSET.search(data[:4096])
    encodings = ["utf-8", "gb18030"]
    if declared:
        name = declared.group(1).decode("ascii").lower()
        encodings.insert(0, "gb18030" if name in _GBK_FAMILY else name)
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


Cell = tuple[str, int, int]  # text, rowspan, colspan


class _Tables(HTMLParser):
    """Collects every table's rows of (text, rowspan, colspan); a nested table is a table of
    its own and leaves its cell's text empty."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[Cell]]] = []
        self._open: list[list[list[Cell]]] = []  # the tables being read, innermost last
        self._cell: list[str] | None = None
        self._spans = (1, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._end_cell()
            self._open.append([])
        elif tag == "tr" and self._open:
            self._end_cell()
            self._open[-1].append([])
        elif tag in ("td", "th") and self._open:
            self._end_cell()
            if not self._open[-1]:
                self._open[-1].append([])  # a cell before any <tr>
            given = dict(attrs)
            self._spans = (_span(given.get("rowspan")), _span(given.get("colspan")))
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th", "tr"):
            self._end_cell()
        elif tag == "table" and self._open:
            self._end_cell()
            self.tables.append(self._open.pop())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def finish(self) -> None:
        """A table left open (a page cut short) is read as far as it goes."""
        while self._open:
            self.handle_endtag("table")

    def _end_cell(self) -> None:
        if self._cell is not None and self._open and self._open[-1]:
            lines = "".join(self._cell).split("\n")
            text = "\n".join(" ".join(line.split()) for line in lines).strip()
            self._open[-1][-1].append((text, *self._spans))
        self._cell = None


def _span(value: str | None) -> int:
    digits = re.match(r"\s*(\d+)", value or "")
    return max(1, min(int(digits.group(1)), 100_000)) if digits else 1


def _grid(rows: list[list[Cell]], max_rows: int, max_columns: int) -> list[tuple[str, ...]]:
    """Rows of plain text, every merged cell's text repeated over the cells it covers. Raises
    ValueError((row, column) reached) as soon as the sheet is larger than a ledger may be: a
    short page of wide spans must not fill the memory first."""
    out: list[tuple[str, ...]] = []
    carried: dict[int, list[Any]] = {}  # column -> [rows still covered, text]
    for cells in rows:
        if len(out) >= max_rows:
            raise ValueError((len(rows), 1))
        row: list[str] = []
        queue = iter(cells)
        cell = next(queue, None)
        while cell is not None or any(column >= len(row) for column in carried):
            column = len(row)
            if column >= max_columns:
                raise ValueError((1, column + 1))
            if column in carried:
                left, text = carried[column]
                row.append(text)
                if left == 1:
                    del carried[column]
                else:
                    carried[column][0] = left - 1
                continue
            if cell is None:
                row.append("")  # a gap before a column carried from above
                continue
            text, rowspan, colspan = cell
            for offset in range(min(colspan, max_columns - column)):
                row.append(text)
                if rowspan > 1:
                    carried[column + offset] = [rowspan - 1, text]
            cell = next(queue, None)
        out.append(tuple(row))
    return out


def sheets(text: str, max_rows: int, max_columns: int) -> list[list[tuple[str, ...]]]:
    """Every table of the page as a sheet's rows, in the order the tables end."""
    parser = _Tables()
    parser.feed(text)
    parser.close()
    parser.finish()
    return [_grid(table, max_rows, max_columns) for table in parser.tables]


def choose_sheet(
    tables: list[list[tuple[str, ...]]],
    choose: Callable[[list[tuple[Any, ...]]], bool] | None,
    head_rows: int,
) -> list[tuple[str, ...]]:
    """The first table `choose` accepts by its first rows (as the first worksheet that has the
    headers), else the first table."""
    if choose is not None:
        for table in tables:
            if choose(table[:head_rows]):
                return table
    return tables[0] if tables else []
