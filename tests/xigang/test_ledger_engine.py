"""The ledger engine's cell rules and formula-safe writing, shared by every ledger kind."""

import datetime
import io

import openpyxl
import pytest
from django.utils import translation
from python_calamine import CalamineWorkbook

from xigang.ledgers import (
    CellError,
    parse_bool,
    parse_date,
    parse_id_number,
    parse_text,
    write_workbook,
)


@pytest.mark.parametrize(
    "raw",
    ["2026-07-15", "2026/7/15", "2026.7.15", "2026年7月15日", datetime.datetime(2026, 7, 15, 0, 0)],
)
def test_it_reads_every_documented_date_form(raw):
    assert parse_date(raw) == datetime.date(2026, 7, 15)


def test_it_refuses_an_impossible_date_in_chinese():
    with translation.override("zh-hans"), pytest.raises(CellError, match="不是日期"):
        parse_date("2026-02-30")


def test_it_reads_booleans_as_是_or_否():
    assert parse_bool("是") is True
    assert parse_bool("否") is False
    with pytest.raises(CellError):
        parse_bool("对")


def test_it_refuses_an_id_number_that_excel_turned_into_a_number():
    with translation.override("zh-hans"), pytest.raises(CellError, match="无法恢复"):
        parse_id_number(3.70481e17)


def test_it_accepts_a_valid_id_number_with_final_x_in_lower_case():
    assert parse_id_number(" 11010519491231002x ") == "11010519491231002X"


def test_it_refuses_a_wrong_check_digit():
    with pytest.raises(CellError):
        parse_id_number("110105194912310021")


def test_it_reads_excel_integers_as_text_without_a_decimal_point():
    assert parse_text(13800138000.0) == "13800138000"


def test_it_never_writes_a_formula_cell():
    buffer = io.BytesIO()
    dangerous = ["=1+1", "+86", "-3", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")']
    write_workbook(buffer, title="测试", headers=["内容"], rows=[[v] for v in dangerous])
    buffer.seek(0)
    sheet = openpyxl.load_workbook(buffer).worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(min_row=3)]
    assert {c.data_type for c in cells} == {"s"}  # text, not one formula
    assert all(c.quotePrefix for c in cells)  # and kept text when a cell is edited
    # The values as Excel and our reader read them (openpyxl leaves "\r" escaped as _x000D_).
    buffer.seek(0)
    read = CalamineWorkbook.from_filelike(buffer).get_sheet_by_index(0).to_python()
    assert [row[0] for row in read[2:]] == dangerous
