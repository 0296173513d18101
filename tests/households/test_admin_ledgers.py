"""The ledger screens of the admin are django-import-export's, running our engine: upload with
a format, a preview of every row (new / update / unchanged / error, Excel row numbers, Chinese
messages), confirm; export with a format, of the list's filters or of the selected rows; all
in the user's scope."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from households.models import Household
from tests.conftest import workbook
from tests.ledger_admin import confirm, preview_errors, preview_rows, upload
from xigang.models import LedgerImport

MODEL = "households_household"
HEADERS = ["户编号", "村", "户主姓名", "联系电话"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def register(east, west):
    """Three households: 东村-001 and 东村-002 of 东村, 西村-001 of 西村."""
    return [
        Household.objects.create(number="东村-001", village=east, head_name="张三", phone="1"),
        Household.objects.create(number="东村-002", village=east, head_name="王五", phone="2"),
        Household.objects.create(number="西村-001", village=west, head_name="李四", phone="3"),
    ]


def test_the_preview_lists_every_row_then_the_confirmation_writes_them(
    client, office, register, tmp_path
):
    rows = [
        ["东村-001", "东村", "张三", "1"],  # unchanged
        ["东村-002", "东村", "王老五", "2"],  # its head renamed
        ["东村-003", "东村", "赵六", "6"],  # new
    ]
    path = workbook(tmp_path / "东村台账.xlsx", HEADERS, rows, title="西岗镇建档立卡贫困户台账")
    client.force_login(office)
    preview = upload(client, MODEL, path)
    page = preview.content.decode()
    assert preview_rows(preview) == [(3, "skip"), (4, "update"), (5, "new")]
    assert "检查完成，未写入数据：新增1条，更新1条，未变1条" in page
    assert "<del>王五</del> <ins>王老五</ins>" in page  # the changed cell, old and new
    assert "确认导入" in page
    assert not Household.objects.filter(number="东村-003").exists()

    response = confirm(client, MODEL, preview)
    assert response.status_code == 302
    assert response["Location"] == reverse(f"admin:{MODEL}_changelist")
    assert Household.objects.get(number="东村-002").head_name == "王老五"
    assert Household.objects.get(number="东村-003").head_name == "赵六"
    record = LedgerImport.objects.get()
    assert (record.file_name, record.imported_by) == ("东村台账.xlsx", office)
    assert (
        "导入完成：新增1条，更新1条，未变1条" in client.get(response["Location"]).content.decode()
    )


def test_an_erroneous_file_lists_its_errors_and_writes_nothing(client, office, register, tmp_path):
    rows = [
        ["东村-004", "东村", "甲", "4"],
        ["东村-005", "南村", "乙", "5"],  # no such village
        ["东村-006", "东村", None, "6"],  # head's name empty
    ]
    path = workbook(tmp_path / "bad.xlsx", HEADERS, rows)
    client.force_login(office)
    preview = upload(client, MODEL, path)
    page = preview.content.decode()
    assert preview_errors(preview) == [
        (3, "村", "没有名为「南村」的村（居）"),
        (4, "户主姓名", "不能为空"),
    ]
    assert "已拒绝，未写入任何数据：共2处错误" in page
    assert "confirm_form" not in preview.context or preview.context["confirm_form"] is None
    assert "确认导入" not in page
    assert not Household.objects.filter(number__startswith="东村-00", head_name="甲").exists()
    assert not LedgerImport.objects.exists()


def test_a_file_without_the_ledgers_columns_is_refused_whole_in_chinese(client, office, tmp_path):
    path = workbook(tmp_path / "x.xlsx", ["姓名", "电话"], [["张三", "1"]])
    client.force_login(office)
    page = upload(client, MODEL, path).content.decode()
    assert "缺少必填列" in page and "Traceback" not in page


def test_a_confirmation_may_name_only_an_upload_of_the_same_session(
    client, office, register, tmp_path
):
    path = workbook(tmp_path / "a.xlsx", HEADERS, [["东村-009", "东村", "甲", "9"]])
    client.force_login(office)
    preview = upload(client, MODEL, path)
    forged = {**preview.context["confirm_form"].initial, "import_file_name": "../../etc/passwd"}
    url = reverse(f"admin:{MODEL}_process_import")
    assert client.post(url, forged).status_code == 403
    confirm(client, MODEL, preview)
    assert Household.objects.filter(number="东村-009").exists()
    assert client.post(url, preview.context["confirm_form"].initial).status_code == 403  # spent


def test_a_confirmation_refused_by_a_change_since_the_preview_says_why(
    client, east_cadre, west, register, tmp_path
):
    path = workbook(tmp_path / "a.xlsx", HEADERS, [["东村-009", "东村", "甲", "9"]])
    client.force_login(east_cadre)
    preview = upload(client, MODEL, path)
    assert preview_rows(preview) == [(2, "new")]
    Household.objects.create(number="东村-009", village=west, head_name="乙")  # meanwhile
    response = confirm(client, MODEL, preview)
    assert response.status_code == 200
    assert [(n, h) for n, h, _m in preview_errors(response)] == [(2, "户编号")]
    assert "确认导入" not in response.content.decode()
    assert Household.objects.get(number="东村-009").head_name == "乙"
    assert not LedgerImport.objects.exists()


def test_a_village_cadre_cannot_import_into_another_village(client, east_cadre, register, tmp_path):
    rows = [["西村-001", "西村", "李四改", "3"], ["西村-002", "西村", "新户", "7"]]
    path = workbook(tmp_path / "w.xlsx", HEADERS, rows)
    client.force_login(east_cadre)
    preview = upload(client, MODEL, path)
    assert [(n, h) for n, h, _m in preview_errors(preview)] == [(2, "村"), (3, "村")]
    assert Household.objects.get(number="西村-001").head_name == "李四"
    assert not Household.objects.filter(number="西村-002").exists()


def test_a_village_cadre_without_the_permission_gets_no_import_screen(client, east_cadre, tmp_path):
    client.force_login(east_cadre)
    assert client.get(reverse("admin:duties_village_import")).status_code == 403
    path = workbook(tmp_path / "v.xlsx", ["村名称"], [["张庄村"]])
    with open(path, "rb") as handle:
        response = client.post(
            reverse("admin:duties_village_import"), {"import_file": handle, "format": "0"}
        )
    assert response.status_code == 403


def _exported(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    return [row[0].value for row in sheet.iter_rows(min_row=4)], sheet["A2"].value


def test_the_export_of_selected_rows_gives_exactly_those(client, office, register):
    client.force_login(office)
    changelist = reverse(f"admin:{MODEL}_changelist")
    chosen = [register[0].pk, register[2].pk]
    form = client.post(changelist, {"action": "export_admin_action", "_selected_action": chosen})
    assert form.status_code == 200 and "xlsx" in form.content.decode()
    response = client.post(
        reverse(f"admin:{MODEL}_export"), {"format": "0", "export_items": chosen}
    )
    numbers, subtitle = _exported(response)
    assert sorted(numbers) == ["东村-001", "西村-001"]
    assert "2" in subtitle  # says that selected rows were exported
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert response["Content-Disposition"].endswith(".xlsx")


def test_a_village_cadre_exports_only_its_village_and_cannot_select_others(
    client, east_cadre, register
):
    client.force_login(east_cadre)
    response = client.post(reverse(f"admin:{MODEL}_export"), {"format": "0"})
    assert sorted(_exported(response)[0]) == ["东村-001", "东村-002"]
    response = client.post(
        reverse(f"admin:{MODEL}_export"), {"format": "0", "export_items": [register[2].pk]}
    )
    assert response.status_code == 200 and "attachment" not in response.get(
        "Content-Disposition", ""
    )  # the form again: a row out of scope is not a choice
    assert "西村-001" not in response.content.decode()


def test_the_csv_export_keeps_a_formula_as_text(client, office, east):
    Household.objects.create(number="东村-001", village=east, head_name="=1+1")
    client.force_login(office)
    response = client.post(reverse(f"admin:{MODEL}_export"), {"format": "1"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["户编号", "村", "户主姓名"]
    assert rows[1][:3] == ["东村-001", "东村", "'=1+1"]


def test_the_former_addresses_lead_to_the_screens(client, office):
    client.force_login(office)
    response = client.get(reverse(f"admin:{MODEL}_ledger_export") + "?village__id__exact=1")
    assert response["Location"] == reverse(f"admin:{MODEL}_export") + "?village__id__exact=1"
    response = client.get(reverse(f"admin:{MODEL}_ledger_import"))
    assert response["Location"] == reverse(f"admin:{MODEL}_import")


def test_a_large_upload_goes_to_a_background_job(client, settings, office, east, tmp_path):
    settings.LEDGER_JOB_MIN_BYTES = 1
    path = workbook(tmp_path / "big.xlsx", HEADERS, [["东村-001", "东村", "张三", "1"]])
    client.force_login(office)
    source = SimpleUploadedFile("大台账.xlsx", path.read_bytes())
    response = upload(client, MODEL, source, follow=True)
    assert response.redirect_chain[-1][0] == reverse("notices:list")
    assert Household.objects.filter(number="东村-001").exists()
    assert LedgerImport.objects.get().file_name == "大台账.xlsx"


def test_the_import_screen_names_each_column_once_with_the_required_starred(client, office):
    client.force_login(office)
    page = client.get(reverse(f"admin:{MODEL}_import"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert "户编号★" in text  # the key column
    assert text.count("户主姓名") == 1  # not again in the library's field list
