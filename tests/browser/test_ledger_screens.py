"""The 扶贫办 imports a households ledger through the admin's screens at a desk: upload, the
preview of every row (new / update / unchanged, the changed cell marked), confirm."""

from households.models import Household
from tests.browser.checks import save_screen
from tests.browser.conftest import BROWSER, sign_in
from tests.conftest import workbook

pytestmark = BROWSER


def test_the_office_previews_and_confirms_a_ledger(
    desktop_page, live_server, office, east, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    Household.objects.create(number="东村-001", village=east, head_name="张三", phone="1")
    Household.objects.create(number="东村-002", village=east, head_name="王五", phone="2")
    path = workbook(
        tmp_path / "东村台账.xlsx",
        ["户编号", "村", "户主姓名", "联系电话"],
        [
            ["东村-001", "东村", "张三", "1"],
            ["东村-002", "东村", "王老五", "2"],
            ["东村-003", "东村", "赵六", "13800000003"],
        ],
        title="西岗镇建档立卡贫困户台账",
    )
    page = desktop_page
    sign_in(page, live_server, office, next_url="/admin/households/household/")
    page.click("text=导入台账")
    assert page.inner_text("#content").count("户主姓名") == 1  # the columns named once
    save_screen(page, "office-ledger-import-desk")
    page.set_input_files("#id_import_file", str(path))
    page.select_option("#id_format", label="xlsx")
    with page.expect_navigation():
        page.click("input[type=submit]")
    preview = page.inner_text("#ledger-preview")
    assert "新增" in preview and "更新" in preview and "未变" in preview
    assert page.locator("#ledger-preview del").inner_text() == "王五"
    save_screen(page, "office-ledger-preview-desk")
    with page.expect_navigation():
        page.click("input[name=confirm]")
    assert "导入完成：新增1条，更新1条，未变1条" in page.inner_text("body")
    assert Household.objects.get(number="东村-002").head_name == "王老五"
