"""The files offices hold that are not .xlsx (issue 14): a real BIFF .xls laid out like a 低保
roster (built with xlwt), and a web page saved as .xls (the national system's 导出), in GBK or
UTF-8, with merged cells. Both are read through the one reader every ledger kind uses."""

import datetime
import io

import pytest
import xlwt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from households.models import Household
from tests import ledger_admin
from tests.households.conftest import idn
from visits.models import EmergencyCase
from xigang.ledgers import LedgerError, get_kind, import_ledger

D = datetime.date


def _roster_xls(path=None):
    """A 低保 roster as .xls: a title merged across, a header over two rows (户主信息 over
    姓名 / 身份证号, the others merged down), a 序号 column, a 合计 row and a 制表人 row."""
    book = xlwt.Workbook(encoding="utf-8")
    book.add_sheet("填表说明").write(0, 0, "本表由村委会填报，每月5日前报镇扶贫办")
    sheet = book.add_sheet("低保户花名册")
    sheet.write_merge(0, 0, 0, 6, "西岗镇2026年农村低保户花名册")
    sheet.write(1, 0, "填报单位：东村村委会")
    for column, header in enumerate(["序号", "户编号", "村"]):
        sheet.write_merge(2, 3, column, column, header)
    sheet.write_merge(2, 2, 3, 4, "户主信息")
    sheet.write(3, 3, "姓名")
    sheet.write(3, 4, "身份证号")
    sheet.write_merge(2, 3, 5, 5, "家庭人口（人）")
    sheet.write_merge(2, 3, 6, 6, "备注")
    rows = [["001", "东村", "张三", idn(1), 3], ["002", "东村", "李四", idn(2), 2]]
    for index, row in enumerate(rows):
        sheet.write(4 + index, 0, index + 1)
        for column, value in enumerate(row, start=1):
            sheet.write(4 + index, column, value)
    sheet.write(6, 0, "合计")
    sheet.write(6, 5, 5)
    sheet.write(8, 0, "制表人：王会计")
    sheet.write(8, 4, "审核人：李主任")
    handle = path if path is not None else io.BytesIO()
    book.save(handle)
    return handle


def _expect_roster(east):
    households = Household.objects.order_by("number")
    assert [(h.number, h.head_name, h.head_id_number, h.size) for h in households] == [
        ("001", "张三", idn(1), 3),
        ("002", "李四", idn(2), 2),
    ]
    assert {h.village for h in households} == {east}


def test_an_xls_roster_imports_through_the_command(tmp_path, office, east):
    path = tmp_path / "低保花名册.xls"
    _roster_xls(str(path))
    out = io.StringIO()
    call_command("import_ledger", "households", str(path), "--user", "office", stdout=out)
    _expect_roster(east)
    assert "以下列不属于本台账，已忽略：序号、备注" in out.getvalue()


def test_an_xls_roster_imports_through_the_web_upload(client, office, east, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(office)
    upload = SimpleUploadedFile(
        "低保花名册.xls", _roster_xls().getvalue(), content_type="application/vnd.ms-excel"
    )
    preview = ledger_admin.upload(client, "households_household", upload)
    assert not ledger_admin.preview_errors(preview) and Household.objects.count() == 0
    assert {kind for _row, kind in ledger_admin.preview_rows(preview)} == {"new"}
    ledger_admin.confirm(client, "households_household", preview)
    _expect_roster(east)


def _page(rows_html, charset="utf-8", meta=True):
    head = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if meta else ""
    )
    return (
        f"<html><head>{head}<style>td{{mso-number-format:'\\@'}}</style></head><body>"
        f"<table border=1>{rows_html}</table></body></html>"
    )


NATIONAL_PAGE = """
<tr><td colspan="6">全国扶贫开发信息系统 贫困户信息 导出时间：2026-11-30</td></tr>
<tr><th rowspan="2">户编号</th><th rowspan="2">行政村</th><th colspan="2">户主信息</th>
    <th rowspan="2">家庭人口<br>（人）</th><th rowspan="2">脱贫状态</th></tr>
<tr><th>姓名</th><th>证件号码</th></tr>
<tr><td>37048100001</td><td>东村</td><td>张三</td><td>{id1}</td><td>3</td>
    <td>已脱贫(享受政策)</td></tr>
<tr><td>37048100002</td><td>东村</td><td>李&nbsp;四</td><td>{id2}</td><td>2</td>
    <td>未脱贫</td></tr>
<tr><td colspan="4">合计</td><td>5</td><td></td></tr>
"""


@pytest.mark.parametrize(
    ("encoding", "charset", "meta"),
    [("gbk", "gb2312", True), ("utf-8", "utf-8", True), ("gb18030", "", False)],
)
def test_a_web_page_saved_as_xls_is_read_as_a_sheet(office, east, encoding, charset, meta):
    html = _page(NATIONAL_PAGE.format(id1=idn(1), id2=idn(2)), charset, meta)
    source = io.BytesIO(html.encode(encoding))
    source.name = "贫困户信息.xls"
    report = import_ledger(get_kind("households")(office), source)
    assert report.ok and report.created == 2, report.lines()
    household = Household.objects.get(number="37048100001")  # text: no digit lost
    assert (household.head_id_number, household.size, household.status) == (
        idn(1),
        3,
        "已脱贫（享受政策）",  # the national ASCII brackets read as the register's
    )
    assert Household.objects.get(number="37048100002").head_name == "李 四"


def test_merged_cells_of_a_web_page_are_filled_down(tmp_path, office, east_household):
    """Every kind reads the same way: a 救急难 sheet whose 户编号 spans two cases."""
    rows = """
    <tr><th>户编号</th><th>发生日期</th><th>原因</th><th>支出金额</th><th>上报日期</th></tr>
    <tr><td rowspan="2">东村-001</td><td>2026-11-01</td><td>因病</td><td>800</td>
        <td>2026-11-02</td></tr>
    <tr><td>2026-11-10</td><td>因灾</td><td>1,500.50</td><td>2026-11-11</td></tr>
    """
    path = tmp_path / "救急难.xls"
    path.write_text(_page(rows), encoding="utf-8")
    report = import_ledger(get_kind("emergencies")(office), path)
    assert report.ok and report.created == 2, report.lines()
    assert sorted(EmergencyCase.objects.values_list("cause", flat=True)) == ["因灾", "因病"]


def test_a_web_page_without_the_headers_is_refused_in_chinese(office, east):
    source = io.BytesIO(_page("<tr><td>姓名</td><td>电话</td></tr>").encode())
    with pytest.raises(LedgerError, match="缺少必填列"):
        import_ledger(get_kind("households")(office), source)


def test_a_web_page_longer_than_a_ledger_is_refused(office, east, settings):
    settings.LEDGER_MAX_ROWS = 10
    source = io.BytesIO(_page("<tr><td>户编号</td></tr>" * 11).encode())
    with pytest.raises(LedgerError, match="达到第 11 行，台账最多 10 行"):
        import_ledger(get_kind("households")(office), source)


def test_a_web_page_wider_than_a_ledger_is_refused(office, east, settings):
    cells = "<td>x</td>" * (settings.LEDGER_MAX_COLUMNS + 1)
    source = io.BytesIO(_page(f"<tr>{cells}</tr>").encode())
    with pytest.raises(LedgerError, match="HTML"):
        import_ledger(get_kind("households")(office), source)
    # a span, however wide it says it is, fills no more than a ledger's columns
    source = io.BytesIO(_page('<tr><td colspan="99999999">户编号</td></tr>').encode())
    with pytest.raises(LedgerError, match="缺少必填列"):
        import_ledger(get_kind("households")(office), source)
