"""Exports people can use (issue 14, point 6): widths fitted, header frozen, filter on, dates as
dates, names beside user names, and the admin's export of what its list shows, said in the title
line and the file name."""

import datetime
import io
from urllib.parse import unquote

import openpyxl

from households.models import Household, Pairing
from xigang.ledgers import export_ledger, get_kind

D = datetime.date


def _sheet(content):
    return openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]


def test_a_ledger_export_is_laid_out_for_people(tmp_path, office, east_household, pairing):
    path = tmp_path / "p.xlsx"
    export_ledger(get_kind("pairings")(office), path)
    sheet = _sheet(path.read_bytes())
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2] == ("户编号", "帮扶责任人", "帮扶责任人姓名", "开始日期", "结束日期", "导入")
    number, username, name, start, end, imported = rows[3]
    assert (number, username, name) == ("东村-001", "pairing", pairing.cadre.name)
    assert start == datetime.datetime(2026, 1, 1) and sheet["D4"].number_format == "yyyy-mm-dd"
    assert sheet.freeze_panes == "A4"
    assert sheet.auto_filter.ref == "A3:F4" and imported is None
    assert sheet.column_dimensions["A"].width >= len("东村-001") + 2


def test_the_admin_exports_what_its_list_shows_and_says_so(client, office, east, west, tmp_path):
    Household.objects.create(number="东村-001", village=east, head_name="张三")
    Household.objects.create(number="西村-001", village=west, head_name="李四")
    client.force_login(office)
    response = client.post(
        f"/admin/households/household/export/?village__id__exact={west.pk}", {"format": "0"}
    )
    sheet = _sheet(response.content)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0].startswith("筛选：村（居）：西村；导出日期")
    assert [r[0] for r in rows[3:]] == ["西村-001"]
    disposition = unquote(response["Content-Disposition"])
    assert "西岗镇建档立卡贫困户台账-村（居）：西村-" in disposition
    whole = client.post("/admin/households/household/export/", {"format": "0"})
    rows = list(_sheet(whole.content).iter_rows(values_only=True))
    assert [r[0] for r in rows[3:]] == ["东村-001", "西村-001"]
    assert Pairing.objects.count() == 0
