"""What an upload may be, for every app (docs/security.md, "Round two: uploads and writes").

- One size limit for every uploaded file (`settings.UPLOAD_MAX_BYTES`): Django's upload handler
  stores no more than that, and `check_size` refuses the file with a Chinese message.
- A workbook is checked before anything parses it (`check_workbook`): a zip with an
  `xl/workbook.xml`, no macros, no DTD, parts neither too large nor too compressed, and
  worksheets no larger than the ledger limits by their `<dimension>` or largest cell reference.
- The parser itself (calamine) runs in a forked child under a memory and CPU cap
  (`read_first_sheet`): a file that makes it allocate without bound or abort ends the child,
  and the worker answers with a refusal.

Everything refused raises django's ValidationError; the ledger engine turns it into LedgerError.
"""

from __future__ import annotations

import csv
import faulthandler
import gc
import io
import itertools
import logging
import marshal
import os
import pickle
import re
import resource
import signal
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.utils.translation import gettext as _

from xigang import html_sheets

logger = logging.getLogger(__name__)

MB = 1024 * 1024
Source = str | Path | IO[bytes]
Chooser = Callable[[list[tuple[Any, ...]]], bool]


# --- size: every upload ----------------------------------------------------------------------


def check_size(name: str, size: int) -> None:
    if size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("「%(name)s」 is %(size).1f MB; a file may be at most %(max)d MB")
            % {"name": name, "size": size / MB, "max": settings.UPLOAD_MAX_BYTES // MB}
        )


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Writes an uploaded file to disk up to the size limit and drops the rest: the file keeps
    its true size, so `check_size` refuses it, and the disk never holds more than the limit."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received <= settings.UPLOAD_MAX_BYTES:
            self.file.write(raw_data)


def _source_size(source: Source) -> int:
    if isinstance(source, str | Path):
        return os.path.getsize(source)
    position = source.tell()
    size = source.seek(0, os.SEEK_END)
    source.seek(position)
    return size


# --- the shape of a workbook, before parsing --------------------------------------------------

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([A-Z]+[0-9]+)(?::([A-Z]+[0-9]+))?\"")
_MACRO_PART = "vbaProject.bin"  # where a workbook keeps its macros
_MACRO_TYPE = b"macroEnabled"  # the content type of an .xlsm's main part
_COMPRESSED_AT_ALL = MB  # parts smaller than this unpack to nothing that matters


def _refused(message: str, **params: Any) -> ValidationError:
    return ValidationError(message % params)


def _not_a_workbook() -> ValidationError:
    return ValidationError(
        _(
            "the file is not an Excel workbook (.xlsx): its content is not a workbook (a web "
            "page, an old .xls or another file given a new name?); open it in Excel and save it "
            "as an Excel workbook"
        )
    )


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _split_ref(ref: bytes) -> tuple[int, int]:
    """(row, column) of a reference like b"XFD1048576"."""
    digits = ref.lstrip(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(digits), _column_number(ref[: len(ref) - len(digits)])


def _far_refs() -> re.Pattern[bytes]:
    """Cell references long enough to lie past the limits (a literal start keeps re fast)."""
    letters = len(_column_letters(settings.LEDGER_MAX_COLUMNS))
    digits = len(str(settings.LEDGER_MAX_ROWS))
    return re.compile(rb'r="([A-Z]{%d,}[0-9]+|[A-Z]*[1-9][0-9]{%d,})"' % (letters, digits - 1))


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _extent(archive: zipfile.ZipFile, name: str) -> tuple[int, int]:
    """(rows, columns) a worksheet reaches: its `<dimension ref>`, or, without one, its largest
    cell reference (read in chunks; rows without a reference are counted after the parse)."""
    with archive.open(name) as part:
        head = part.read(64 * 1024)
    found = _DIMENSION.search(head)
    if found:
        return _split_ref(found.group(2) or found.group(1))
    far = _far_refs()
    rows = columns = 0
    tail = b""
    with archive.open(name) as part:
        while chunk := part.read(MB):
            # A reference may straddle two chunks: the seam is searched on its own.
            for ref in far.findall(chunk) + far.findall(tail + chunk[:31]):
                row, column = _split_ref(ref)
                rows, columns = max(rows, row), max(columns, column)
            tail = chunk[-31:]
    return rows, columns


def _check_extent(rows: int, columns: int, part: str) -> None:
    if rows > settings.LEDGER_MAX_ROWS:
        raise _refused(
            _(
                "the file is refused: its worksheet %(part)s reaches row %(rows)d; a ledger may "
                "have at most %(max)d rows: split it into several files"
            ),
            part=part,
            rows=rows,
            max=settings.LEDGER_MAX_ROWS,
        )
    if columns > settings.LEDGER_MAX_COLUMNS:
        raise _refused(
            _(
                "the file is refused: its worksheet %(part)s reaches column %(column)s; a ledger "
                "may have at most %(max)d columns"
            ),
            part=part,
            column=_column_letters(columns),
            max=settings.LEDGER_MAX_COLUMNS,
        )


def _check_parts(infos: list[zipfile.ZipInfo]) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _COMPRESSED_AT_ALL and ratio > settings.LEDGER_MAX_RATIO:
            raise _refused(
                _(
                    "the file is refused: its part %(part)s is compressed %(ratio)d times (at "
                    "most %(max)d), as a zip bomb is"
                ),
                part=info.filename,
                ratio=ratio,
                max=settings.LEDGER_MAX_RATIO,
            )
    if total > settings.LEDGER_MAX_UNPACKED_BYTES:
        raise _refused(
            _(
                "the file is refused: it unpacks to %(size)d MB, more than a ledger may (%(max)d MB)"
            ),
            size=total // MB,
            max=settings.LEDGER_MAX_UNPACKED_BYTES // MB,
        )


def _check_no_dtd(archive: zipfile.ZipFile, name: str) -> None:
    """A workbook's XML never needs a DTD; one that declares entities is an XML bomb or an
    external-entity attack."""
    with archive.open(name) as part:
        head = part.read(4096)
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise _refused(
            _(
                "the file is refused: its part %(part)s declares a DTD or XML entities, which an "
                "Excel workbook never does"
            ),
            part=name,
        )


def _check_archive(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise _not_a_workbook()
    _check_parts(infos)  # first: nothing is unpacked before its size is known to be sane
    content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    if any(n.endswith(_MACRO_PART) for n in names) or _MACRO_TYPE in content_types:
        raise ValidationError(
            _(
                "the file is refused: it contains macros (.xlsm); save it as an Excel workbook "
                "(.xlsx) without macros"
            )
        )
    for name in sorted(names):
        if name.endswith((".xml", ".rels")):
            _check_no_dtd(archive, name)
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            _check_extent(*_extent(archive, name), part=name)


def check_workbook(source: Source, name: str = "") -> None:
    """Refuses (ValidationError) a workbook that could hurt the reader, before any parser
    opens it. A file object is left at the position it had."""
    if not name:
        name = Path(source).name if isinstance(source, str | Path) else getattr(source, "name", "")
    check_size(name or _("the file"), _source_size(source))
    handle = None if isinstance(source, str | Path) else source
    position = handle.tell() if handle is not None else 0
    try:
        with zipfile.ZipFile(source) as archive:
            _check_archive(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError) as exc:
        raise _not_a_workbook() from exc
    finally:
        if handle is not None:
            handle.seek(position)


# --- parsing under a cap ----------------------------------------------------------------------

_BATCH = 2000


def _cap_child() -> None:
    """The child's limits: its address space may grow by the reader's memory budget, its CPU
    time is bounded; past either the kernel stops the child, never the worker."""
    with open("/proc/self/statm") as statm:
        in_use = int(statm.read().split()[0]) * resource.getpagesize()
    for limit, value in (
        (resource.RLIMIT_AS, in_use + settings.LEDGER_READER_MEMORY_BYTES),
        (resource.RLIMIT_CPU, settings.LEDGER_READER_CPU_SECONDS),
    ):
        _soft, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(limit, (value, hard))


# The child's frames: a tag, the payload's length (8 bytes), the payload.
_MARSHAL, _PICKLE, _ERROR, _END = b"m", b"p", b"e", b"z"


def _send(out: IO[bytes], tag: bytes, payload: bytes = b"") -> None:
    out.write(tag + len(payload).to_bytes(8, "little") + payload)


def _send_rows(out: IO[bytes], batch: list[tuple[Any, ...]]) -> None:
    try:
        _send(out, _MARSHAL, marshal.dumps(batch))  # several times quicker than pickle
    except ValueError:  # dates and times, which marshal has no type for
        _send(out, _PICKLE, pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))


def _receive(stream: IO[bytes]) -> tuple[bytes, bytes] | None:
    """The next whole frame, or None when the child stopped (a frame cut short included)."""
    head = stream.read(9)
    if len(head) < 9:
        return None
    length = int.from_bytes(head[1:], "little")
    payload = stream.read(length)
    return (head[:1], payload) if len(payload) == length else None


HEAD_ROWS = 16  # the rows a caller looks at to choose a sheet, and where header merges fill


def _merge_fills(sheet: Any) -> dict[int, list[tuple[int, int, int, int]]]:
    """Row index -> (first column, last column, top row, top column) of the merged ranges that
    cover it, as indexes into the rows calamine yields (which start at the sheet's first used
    column). Ranges over several rows fill down (户编号 merged over its members' rows); ranges
    along one row fill across only in the header zone (户主信息 over 姓名 and 身份证号)."""
    offset = sheet.start[1] if sheet.start else 0
    last_row = sheet.end[0] if sheet.end else 0
    fills: dict[int, list[tuple[int, int, int, int]]] = {}
    for (r0, c0), (r1, c1) in getattr(sheet, "merged_cell_ranges", None) or []:
        if r1 == r0 and r0 >= HEAD_ROWS:
            continue
        left, right = max(c0 - offset, 0), c1 - offset
        for r in range(r0, min(r1, last_row) + 1):
            fills.setdefault(r, []).append((left, right, r0, left))
    return fills


def _filled(
    rows: Iterator[Any], fills: dict[int, list[tuple[int, int, int, int]]]
) -> Iterator[tuple[Any, ...]]:
    tops: dict[tuple[int, int], Any] = {}
    for index, row in enumerate(rows):
        spans = fills.get(index)
        if not spans:
            yield tuple(row)
            continue
        cells = list(row)
        for left, right, top_row, top_column in spans:
            if index == top_row:
                tops[(top_row, top_column)] = cells[top_column] if top_column < len(cells) else ""
            value = tops.get((top_row, top_column), "")
            for column in range(left, min(right, len(cells) - 1) + 1):
                if (index, column) != (top_row, top_column):
                    cells[column] = value
        yield tuple(cells)


def _child_read(source: Source, out: IO[bytes], choose: Chooser | None = None) -> None:
    from python_calamine import CalamineWorkbook

    try:
        # By content, never by the name: from_path goes by the extension, and an .xls is
        # uploaded under a stored .xlsx name (or named .xlsx by the office).
        if isinstance(source, str | Path):
            with open(source, "rb") as handle:
                book = CalamineWorkbook.from_filelike(handle)
        else:
            book = CalamineWorkbook.from_filelike(source)
        sheet = book.get_sheet_by_index(0)
        # The first sheet that has the headers (a 填表说明 sheet often comes first).
        if choose is not None:
            for index in range(len(book.sheet_names)):
                # each get_sheet_by_index parses its whole sheet: the first one only once
                candidate = sheet if index == 0 else book.get_sheet_by_index(index)
                rows = _filled(candidate.iter_rows(), _merge_fills(candidate))
                if choose(list(itertools.islice(rows, HEAD_ROWS))):
                    sheet = candidate
                    break
    except Exception as exc:  # calamine raises several kinds for a file that is not xlsx
        message = _("the file is not an Excel workbook (.xlsx): %(error)s") % {"error": exc}
        _send(out, _ERROR, message.encode())
        return
    end = sheet.end or (0, 0)  # None for an empty sheet
    try:
        _check_extent(end[0] + 1, end[1] + 1, sheet.name)
    except ValidationError as exc:
        _send(out, _ERROR, exc.messages[0].encode())
        return
    batch: list[tuple[Any, ...]] = []
    for row in _filled(sheet.iter_rows(), _merge_fills(sheet)):
        batch.append(row)
        if len(batch) == _BATCH:
            _send_rows(out, batch)
            batch = []
    _send_rows(out, batch)
    _send(out, _END)


def _run_child(source: Source, write_fd: int, choose: Chooser | None = None) -> None:
    """The forked child: never returns, never runs the parent's exit handlers."""
    status = 1
    try:
        # The parser's abort message and a fault handler's traceback would land in the log.
        faulthandler.disable()
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        gc.disable()  # a collection would touch, and so copy, the pages shared with the parent
        _cap_child()
        with os.fdopen(write_fd, "wb") as out:
            _child_read(source, out, choose)
        status = 0
    finally:
        os._exit(status)


def _stopped(status: int) -> ValidationError:
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        message = _("the file is refused: reading it took longer than a ledger may (%(max)d s)")
        return _refused(message, max=settings.LEDGER_READER_CPU_SECONDS)
    logger.warning("the workbook reader stopped with status %s", status)
    return _refused(
        _(
            "the file is refused: reading it needs more memory than a ledger may use "
            "(%(max)d MB); it is too large or damaged"
        ),
        max=settings.LEDGER_READER_MEMORY_BYTES // MB,
    )


def read_first_sheet(source: Source, choose: Chooser | None = None) -> Iterator[tuple[Any, ...]]:
    """The first worksheet's rows as tuples of values, parsed in a child process under a cap
    and streamed back in batches while the caller works on the first ones; with `choose`, the
    first worksheet whose first rows it accepts (else the first one). Merged cells are filled
    (`_merge_fills`). Works for .xlsx and .xls alike. Close the iterator (contextlib.closing)
    when not reading it to the end: that stops the child."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _run_child(source, write_fd, choose)
    os.close(write_fd)
    finished = False
    try:
        with os.fdopen(read_fd, "rb") as stream:
            while not finished and (frame := _receive(stream)) is not None:
                tag, payload = frame
                if tag == _ERROR:
                    raise ValidationError(payload.decode())
                if tag in (_MARSHAL, _PICKLE):
                    yield from (marshal if tag == _MARSHAL else pickle).loads(payload)
                finished = tag == _END
    finally:
        if not finished:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _pid, status = os.waitpid(pid, 0)
    if not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
        raise _stopped(status)


# --- any ledger file: .xlsx, .xls, .csv ---------------------------------------------------------

_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"  # .xlsx (and .xlsm); .xls (a compound file)
_CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel saves CSV as UTF-8 (with a BOM) or as GBK


def _head_bytes(source: Source, n: int) -> bytes:
    if isinstance(source, str | Path):
        with open(source, "rb") as handle:
            return handle.read(n)
    position = source.tell()
    head = source.read(n)
    source.seek(position)
    return head


def _all_bytes(source: Source) -> bytes:
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    position = source.tell()
    data = source.read()
    source.seek(position)
    return data


def _csv_rows(source: Source) -> Iterator[tuple[Any, ...]]:
    """A CSV's rows as text; its encoding found among UTF-8 (with or without a BOM) and GBK /
    GB18030, its separator among comma, tab and semicolon."""
    data = _all_bytes(source)
    if b"\x00" in data:
        raise _not_a_workbook()
    for encoding in _CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _not_a_workbook()
    if text.lstrip().startswith("<"):  # a web page or XML given a spreadsheet's name
        raise _not_a_workbook()
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    _check_extent(len(rows), max((len(r) for r in rows), default=0), "CSV")
    yield from (tuple(row) for row in rows)


def read_rows(source: Source, choose: Chooser | None = None) -> Iterator[tuple[Any, ...]]:
    """The rows of a ledger file, whatever it is: an .xlsx checked (`check_workbook`) and read
    under the cap, an .xls read under the cap, a web page saved as .xls read as its tables, a
    CSV decoded; anything else refused."""
    head = _head_bytes(source, 8)
    if head.startswith(_ZIP):
        check_workbook(source)
        return read_first_sheet(source, choose)
    name = Path(source).name if isinstance(source, str | Path) else getattr(source, "name", "")
    check_size(name or _("the file"), _source_size(source))
    if head.startswith(_OLE):
        return read_first_sheet(source, choose)
    if html_sheets.is_html(_head_bytes(source, 2048)):
        return _html_rows(source, choose)
    return _csv_rows(source)


def _html_rows(source: Source, choose: Chooser | None) -> Iterator[tuple[Any, ...]]:
    """The rows of a web page saved as .xls (`xigang.html_sheets`): the first table that has
    the headers. Read in this process: the page is no larger than an upload may be, and
    html.parser keeps no more than its text."""
    text = html_sheets.decode(_all_bytes(source))
    if text is None:
        raise _not_a_workbook()
    try:
        tables = html_sheets.sheets(text, settings.LEDGER_MAX_ROWS, settings.LEDGER_MAX_COLUMNS)
    except ValueError as exc:
        rows, columns = exc.args[0]
        _check_extent(rows, columns, "HTML")  # raises: longer or wider than a ledger may be
        raise
    if not tables:
        raise _not_a_workbook()
    rows = html_sheets.choose_sheet(tables, choose, HEAD_ROWS)
    _check_extent(len(rows), max((len(r) for r in rows), default=0), "HTML")
    yield from rows
