"""`import_ledger` / `export_ledger` with the organisation's kinds, as an operator runs them."""

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from duties.models import Village
from tests.conftest import workbook

pytestmark = pytest.mark.django_db


def test_a_dry_run_reports_in_chinese_and_writes_nothing(tmp_path, branch):
    path = workbook(
        tmp_path / "v.xlsx", ["村名称", "党总支", "备注"], [["张庄村", "西岗党总支", "x"]]
    )
    out = io.StringIO()
    call_command("import_ledger", "villages", str(path), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "检查完成，未写入数据：新增1条，更新0条，未变0条" in text
    assert "备注" in text  # the ignored column is said
    assert not Village.objects.exists()


def test_a_bad_file_fails_the_command_naming_row_and_column(tmp_path, east):
    path = workbook(
        tmp_path / "c.xlsx", ["用户名", "姓名", "单位"], [["a", "甲", "东村"], ["b", "乙", "南村"]]
    )
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_ledger", "cadres", str(path), stdout=out)
    assert "第3行「单位」列：「南村」既不是部门也不是村（居）" in out.getvalue()


def test_export_as_a_user_holds_only_their_scope(tmp_path, east_cadre, west):
    target = tmp_path / "v.xlsx"
    call_command(
        "export_ledger", "villages", str(target), "--user", "east_cadre", stdout=io.StringIO()
    )
    sheet = openpyxl.load_workbook(target).worksheets[0]
    assert [r[0].value for r in sheet.iter_rows(min_row=3)] == ["村名称", "东村"]
