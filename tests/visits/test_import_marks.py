"""Imported records carry their import (who, when, which file) and a 导入 mark on the lists, the
household's page and the exports, so that inspectors tell them from live entries; a visit of
history by someone not paired that day shows why it does not count for art. 39."""

import datetime

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from households.models import Household, Pairing
from tests.conftest import make_user, workbook
from tests.ledger_admin import confirm, upload
from visits.models import Visit
from visits.services import visit_record
from xigang import roles
from xigang.ledgers import export_ledger, get_kind, import_ledger

D = datetime.date
REASON = "2026-03-02 当天 包村干部 未与贫困户 东村-001 结对帮扶"


@pytest.fixture
def imported(tmp_path, today, office, east, east_household, pairing):
    """东村-002, closed, with a past pairing; on 东村-001 a 包村干部's visit (not paired) and
    the pairing cadre's, both imported; one live visit entered through the service."""
    make_user("baocun", roles.VILLAGE, east, name="包村干部")
    Household.objects.create(
        number="东村-002", village=east, head_name="王二", status=Household.Status.CLOSED
    )
    pairings = workbook(
        tmp_path / "2019年结对.xlsx",
        ["户编号", "帮扶责任人", "开始日期", "结束日期"],
        [["东村-002", "pairing", D(2019, 7, 1), D(2025, 12, 31)]],
    )
    visits = workbook(
        tmp_path / "帮扶记录.xlsx",
        ["户编号", "帮扶责任人", "方式", "日期", "内容"],
        [
            ["东村-001", "baocun", "入户", D(2026, 3, 2), "随同入户了解生产生活情况"],
            ["东村-001", "pairing", "入户", D(2026, 3, 2), "入户了解生产生活情况"],
        ],
    )
    for kind, path in (("pairings", pairings), ("visits", visits)):
        report = import_ledger(get_kind(kind)(office), path)
        assert report.ok and report.written, report.lines()
    visit_record(
        household=east_household,
        cadre=pairing.cadre,
        kind="电话",
        on=D(2026, 4, 1),
        content="电话询问近况与生产需求",
    )


def _page(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.usefixtures("imported")
def test_the_import_is_recorded_with_the_records(office):
    closed = Pairing.objects.get(household__number="东村-002")
    assert (closed.imported_in.kind, closed.imported_in.file_name) == (
        "pairings",
        "2019年结对.xlsx",
    )
    assert closed.imported_in.imported_by == office and closed.imported_in.imported_at
    live = Visit.objects.get(kind="电话")
    assert live.imported_in is None and live.not_counted == ""
    assert Visit.objects.get(cadre__user__username="pairing", kind="入户").not_counted == ""
    assert Visit.objects.get(cadre__user__username="baocun").not_counted == REASON


@pytest.mark.usefixtures("imported")
def test_lists_and_the_household_page_mark_imported_records(client, office):
    visits = _page(client, office, reverse("admin:visits_visit_changelist"))
    assert visits.count("导入 「帮扶记录.xlsx」") == 2  # the live call has no mark
    assert REASON in visits
    only = _page(client, office, reverse("admin:visits_visit_changelist"), imported_in__isempty="1")
    assert "电话" in only and "导入 「帮扶记录.xlsx」" not in only  # the live entries alone
    pairings = _page(client, office, reverse("admin:households_pairing_changelist"))
    assert pairings.count("导入 「2019年结对.xlsx」") == 1
    closed = Household.objects.get(number="东村-002")
    page = _page(client, office, reverse("admin:households_household_change", args=[closed.pk]))
    assert "导入 「2019年结对.xlsx」" in page and "2025-12-31" in page


@pytest.mark.usefixtures("imported")
def test_exports_mark_them_and_import_back_unchanged(tmp_path, office):
    out = tmp_path / "visits-out.xlsx"
    export_ledger(get_kind("visits")(office), out)
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    headers = list(rows[2])
    at = headers.index("导入")
    assert headers[at : at + 2] == ["导入", "不计入第39条原因"]
    cadre, kind = headers.index("帮扶责任人"), headers.index("方式")
    marks = {(r[cadre], r[kind]): (r[at], r[at + 1]) for r in rows[3:]}
    assert marks[("baocun", "入户")][0].startswith("导入 「帮扶记录.xlsx」")
    assert marks[("baocun", "入户")][1] == REASON
    assert marks[("pairing", "入户")][1] is None
    assert marks[("pairing", "电话")] == (None, None)
    again = import_ledger(get_kind("visits")(office), out)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    out = tmp_path / "pairings-out.xlsx"
    export_ledger(get_kind("pairings")(office), out)
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    marks = {r[0]: r[-1] for r in rows[3:]}
    assert marks["东村-002"].startswith("导入 「2019年结对.xlsx」") and marks["东村-001"] is None


@pytest.mark.usefixtures("today")
def test_an_import_through_the_records_screens_keeps_the_uploaded_files_name(
    client, settings, tmp_path, office, east_household
):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = workbook(
        tmp_path / "upload.xlsx",
        ["户编号", "帮扶责任人", "方式", "日期", "内容"],
        [["东村-001", "pairing", "电话", D(2026, 3, 2), "电话询问近况与生产需求"]],
    )
    client.force_login(office)
    with open(path, "rb") as handle:
        source = SimpleUploadedFile("东村三月帮扶记录.xlsx", handle.read())
    preview = upload(client, "visits_visit", source)
    assert confirm(client, "visits_visit", preview).status_code == 302
    visit = Visit.objects.get()
    assert (visit.imported_in.file_name, visit.imported_in.imported_by) == (
        "东村三月帮扶记录.xlsx",
        office,
    )
    assert visit.not_counted == ""  # the pairing cadre, paired that day
