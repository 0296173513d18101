"""Issue 13, round two: uploads that cannot hurt (M1, M2; docs/security.md).

Each hostile workbook is built here with zipfile writing the XML directly (a few KB each). Each
is refused with a Chinese message, through the admin's ledger upload and `import_ledger` alike;
nothing is written, no uploaded file is kept, and the test process lives on.
"""

import functools
import io
import os
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from duties.models import Village
from duties.schedules.evidence import check_upload
from tests.ledger_admin import confirm, upload
from xigang import history, upload_limits
from xigang.ledgers import LedgerError, get_kind, import_ledger
from xigang.models import AuditEntry

pytestmark = pytest.mark.django_db

NS = "http://schemas.openxmlformats.org/"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<Types xmlns="{NS}package/2006/content-types">'
    f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/{main}"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
MAIN = "vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_MAIN = "vnd.ms-excel.sheet.macroEnabled.main+xml"
RELS = (
    f'<Relationships xmlns="{NS}package/2006/relationships"><Relationship Id="rId1" '
    f'Type="{NS}officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'<workbook xmlns="{NS}spreadsheetml/2006/main" '
    f'xmlns:r="{NS}officeDocument/2006/relationships">'
    '<sheets><sheet name="村" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<Relationships xmlns="{NS}package/2006/relationships"><Relationship Id="rId1" '
    f'Type="{NS}officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>村名称</t></is></c></row>'


def sheet(rows: str, dimension: str | None = None) -> str:
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<worksheet xmlns="{NS}spreadsheetml/2006/main">{declared}'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


def xlsx(sheet_xml: str | bytes, *, main: str = MAIN, extra: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES.replace("{main}", main))
        book.writestr("_rels/.rels", RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, data in (extra or {}).items():
            book.writestr(name, data)
    return buffer.getvalue()


FAR_CELL = HEADER + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
MILLION_ROWS = (
    HEADER
    + "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(2, 10))
    + '<row r="1000000"><c r="L1000000"><v>1</v></c></row>'
)
EXPECTED = {
    "far_declared_cell": "达到第 1048576 行，台账最多 100000 行",
    "far_cell_without_dimension": "达到第 1048576 行，台账最多 100000 行",
    "far_column": "达到第 XFD 列，台账最多 100 列",
    "zip_bomb": "压缩了",
    "html_named_xlsx": "文件不是 Excel 工作簿（.xlsx）：其内容不是工作簿",
    "xlsm_with_macros": "其中含有宏（.xlsm）",
    "million_rows": "达到第 1000000 行，台账最多 100000 行",
}


@functools.cache
def hostile(name: str) -> bytes:
    """The hostile workbooks, built once a run."""
    if name == "far_declared_cell":
        return xlsx(sheet(FAR_CELL, "A1:XFD1048576"))
    if name == "far_cell_without_dimension":
        return xlsx(sheet(FAR_CELL))
    if name == "far_column":
        return xlsx(sheet(HEADER + '<row r="2"><c r="XFD2"><v>1</v></c></row>'))
    if name == "zip_bomb":  # 20 MB of blanks inside a row: about 20 KB packed
        return xlsx(sheet(HEADER + '<row r="2">' + " " * (20 * 1024 * 1024) + "</row>"))
    if (
        name == "html_named_xlsx"
    ):  # a page with a table is read as a sheet (issue 14); this has none
        return "<!DOCTYPE html><html><body><p>登录已过期，请重新登录</p></body></html>".encode()
    if name == "xlsm_with_macros":
        return xlsx(sheet(HEADER), main=MACRO_MAIN, extra={"xl/vbaProject.bin": b"\xd0\xcf\x11"})
    assert name == "million_rows"
    return xlsx(sheet(MILLION_ROWS, "A1:L1000000"))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _waiting(media) -> list[str]:
    directory = media / "ledger-uploads"
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def _upload(client, content: bytes, name: str = "村台账.xlsx"):
    return upload(client, "duties_village", SimpleUploadedFile(name, content))


def _waiting_name(preview) -> str:
    return preview.context["confirm_form"].initial["import_file_name"]


def _no_reader_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_m1_the_hostile_workbooks_are_small_files():
    for name in EXPECTED:
        assert len(hostile(name)) < 64 * 1024, name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_m1_a_hostile_workbook_is_refused_in_chinese_and_nothing_is_written(
    name, client, office, media
):
    content, message = hostile(name), EXPECTED[name]
    client.force_login(office)
    villages, entries = Village.objects.count(), AuditEntry.objects.count()
    response = _upload(client, content)
    page = response.content.decode()
    assert response.status_code == 200
    assert "文件被拒绝" in page or "文件不是 Excel 工作簿" in page
    assert message in page
    assert "确认导入" not in page
    assert (Village.objects.count(), AuditEntry.objects.count()) == (villages, entries)
    assert _waiting(media) == []  # the refused file is not kept
    assert _no_reader_left()


@pytest.mark.parametrize("name", ["far_declared_cell", "far_cell_without_dimension", "zip_bomb"])
def test_m1_the_shape_is_checked_before_any_parser_reads_the_file(
    name, office, tmp_path, monkeypatch
):
    def parse(source):
        raise AssertionError("the parser was reached")

    monkeypatch.setattr(upload_limits, "read_first_sheet", parse)
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(hostile(name))
    with pytest.raises(LedgerError) as refused:
        import_ledger(get_kind("villages")(office), path)
    assert EXPECTED[name] in str(refused.value)
    # The command names its actor for the whole process; `acting` puts the test's back after.
    with history.acting(None, "command"), pytest.raises(CommandError, match="文件被拒绝"):
        call_command("import_ledger", "villages", str(path), "--user", office.username)


def test_m1_a_far_cell_under_a_false_dimension_ends_the_reader_not_the_worker(office, tmp_path):
    """The dimension says A1; the cell says XFD1048576. Calamine sizes its grid by the cells and
    asks for 550 GB: the reader's child is stopped by its memory cap, the worker answers."""
    path = tmp_path / "lying.xlsx"
    path.write_bytes(xlsx(sheet(FAR_CELL, "A1")))
    pid = os.getpid()
    with pytest.raises(LedgerError) as refused:
        import_ledger(get_kind("villages")(office), path)
    assert "读取它所需的内存超过台账的上限（1024 MB）" in str(refused.value)
    assert os.getpid() == pid and _no_reader_left()
    assert not AuditEntry.objects.filter(action="import").exists()


def test_m2_rows_without_references_are_counted_after_the_parse(office, tmp_path, settings):
    settings.LEDGER_MAX_ROWS = 1000
    rows = HEADER + "<row><c><v>1</v></c></row>" * 1500
    path = tmp_path / "unnumbered.xlsx"
    path.write_bytes(xlsx(sheet(rows)))
    with pytest.raises(LedgerError) as refused:
        import_ledger(get_kind("villages")(office), path)
    assert "达到第 1501 行，台账最多 1000 行" in str(refused.value)
    assert _no_reader_left() and not Village.objects.exists()


def test_m1_a_ledger_in_order_still_imports_through_the_capped_reader(office, tmp_path):
    rows = HEADER + "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>村{n}</t></is></c></row>'
        for n in range(2, 5)
    )
    path = tmp_path / "ok.xlsx"
    path.write_bytes(xlsx(sheet(rows, "A1:A4")))
    report = import_ledger(get_kind("villages")(office), path)
    assert report.ok and report.created == 3
    assert sorted(Village.objects.values_list("name", flat=True)) == ["村2", "村3", "村4"]


def test_m1_an_evidence_file_with_macros_is_refused():
    macro = xlsx(sheet(HEADER), main=MACRO_MAIN, extra={"xl/vbaProject.bin": b"\xd0\xcf"})
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile("发放明细.xlsx", macro))
    assert "「发放明细.xlsx」不是允许上传的文件" in refused.value.messages[0]
    assert check_upload(SimpleUploadedFile("发放明细.xlsx", xlsx(sheet(HEADER))))[0] == "xlsx"


# --- M2: one size limit, and no uploaded ledger left behind ---------------------------------


def test_m2_one_size_limit_for_ledgers_and_evidence(client, office, media, settings):
    from django.core.exceptions import ValidationError

    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024  # the upload is written to disk
    big = xlsx(sheet(HEADER), extra={"docProps/padding.bin": os.urandom(1536 * 1024)})
    client.force_login(office)
    response = _upload(client, big)
    page = response.content.decode()
    assert "「村台账.xlsx」大小为 1.5 MB，单个文件不能超过 1 MB" in page
    assert _waiting(media) == [] and not Village.objects.exists()
    with pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile("证明.pdf", b"%PDF-1.4\n" + b"0" * (1536 * 1024)))
    assert "单个文件不能超过 1 MB" in refused.value.messages[0]
    with pytest.raises(LedgerError, match="单个文件不能超过 1 MB"):
        import_ledger(get_kind("villages")(office), io.BytesIO(big))


def test_m2_the_upload_handler_stores_no_more_than_the_limit(settings):
    settings.UPLOAD_MAX_BYTES = 1000
    handler = upload_limits.CappedUploadHandler()
    handler.new_file("file", "big.xlsx", "application/octet-stream", 5000)
    for start in range(0, 5000, 500):
        handler.receive_data_chunk(b"x" * 500, start)
    stored = handler.file_complete(5000)
    assert stored is not None
    assert stored.size == 5000  # its true size, so the size check refuses it
    stored.seek(0, os.SEEK_END)
    assert stored.tell() == 1000  # but the disk held no more than the limit
    stored.close()


def test_m2_an_uploaded_ledger_is_deleted_once_imported_or_refused(client, office, media):
    client.force_login(office)
    good = xlsx(sheet(HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>新村</t></is></c></row>'))
    preview = _upload(client, good)
    assert _waiting(media) == [_waiting_name(preview)]  # waits for its confirmation
    confirmed = confirm(client, "duties_village", preview)
    assert confirmed.status_code == 302 and Village.objects.filter(name="新村").exists()
    assert _waiting(media) == []

    with_errors = xlsx(
        sheet(
            HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>新村</t></is></c></row>'
            '<row r="3"><c r="A3" t="inlineStr"><is><t>新村</t></is></c></row>'
        )
    )
    refused = _upload(client, with_errors)
    assert refused.context["result"].invalid_rows and not refused.context.get("confirm_form")
    assert _waiting(media) == []


def test_m2_a_preview_left_unconfirmed_is_deleted_after_a_time(client, office, media, settings):
    client.force_login(office)
    good = xlsx(sheet(HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>新村</t></is></c></row>'))
    forgotten = _upload(client, good)
    stale = media / "ledger-uploads" / _waiting_name(forgotten)
    hours_ago = time.time() - settings.LEDGER_UPLOAD_MAX_AGE.total_seconds() - 60
    os.utime(stale, (hours_ago, hours_ago))
    fresh = _upload(client, good)
    assert _waiting(media) == [_waiting_name(fresh)]  # the next upload removed the forgotten one
    late = confirm(client, "duties_village", forgotten, follow=True)
    assert "上传的文件已过期" in late.content.decode()
    assert not Village.objects.exists()
