"""Ledgers `projects` and `assets` (import and export, all-or-nothing, in the user's scope) and
the demo's projects and assets."""

import datetime
import random
from decimal import Decimal

import openpyxl
import pytest

from projects.models import Asset, Project
from tests.conftest import workbook
from tests.projects.conftest import make_notice, make_project
from xigang.ledgers import LedgerError, export_ledger, get_kind, import_ledger
from xigang.obligations import Filters, overdue_items

D = datetime.date
HEADERS = [
    "项目名称",
    "村",
    "项目类型",
    "实施单位",
    "计划开工日期",
    "计划完工日期",
    "实际开工日期",
    "实际完工日期",
    "财政专项（元）",
    "社会帮扶（元）",
]


def _row(name="东村蔬菜大棚", village="东村", start="2026-04-01", **over):
    row = {
        "项目名称": name,
        "村": village,
        "项目类型": "产业",
        "实施单位": "农业办",
        "计划开工日期": start,
        "计划完工日期": "2026-10-31",
        "实际开工日期": None,
        "实际完工日期": None,
        "财政专项（元）": "50万",
        "社会帮扶（元）": 20000,
    }
    row.update(over)
    return [row[h] for h in HEADERS]


def test_projects_are_imported_with_their_funds_and_exported_back(tmp_path, office, east):
    path = workbook(
        tmp_path / "项目.xlsx",
        HEADERS,
        [_row(), _row("镇级道路", "镇级", 项目类型="基础设施", 实施单位="农村道路管理站")],
        title="西岗镇扶贫项目台账",
    )
    report = import_ledger(get_kind("projects")(office), path)
    assert report.ok and (report.created, report.written) == (2, True)
    project = Project.objects.get(name="东村蔬菜大棚")
    assert {f.source: f.amount for f in project.funds.all()} == {
        "财政专项": Decimal("500000.00"),
        "社会帮扶": Decimal("20000.00"),
    }
    assert Project.objects.get(name="镇级道路").village is None
    make_notice(office, "before_start", D(2026, 3, 20), project=project)
    out = tmp_path / "导出.xlsx"
    assert export_ledger(get_kind("projects")(office), out) == 2
    sheet = openpyxl.load_workbook(out).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    header = next(r for r in rows if r[0] == "项目名称")
    assert "开工前公示" in header and "验收日期" in header
    again = import_ledger(get_kind("projects")(office), out, dry_run=True)
    assert again.ok and again.unchanged == 2, again.lines()


def test_a_bad_row_refuses_the_file_and_says_where(tmp_path, office, east):
    path = workbook(
        tmp_path / "项目.xlsx",
        HEADERS,
        [_row(), _row("坏的", "北村", 实施单位="不存在科", **{"财政专项（元）": "很多"})],
    )
    report = import_ledger(get_kind("projects")(office), path)
    assert not report.ok and not Project.objects.exists()
    text = "\n".join(report.lines())
    assert "第3行" in text or "3" in text
    assert "北村" in text and "不存在科" in text and "很多" in text


def test_a_village_cadre_imports_only_its_own_projects(tmp_path, east_cadre, east, west):
    path = workbook(tmp_path / "项目.xlsx", HEADERS, [_row(), _row("西村项目", "西村")])
    report = import_ledger(get_kind("projects")(east_cadre), path)
    assert not report.ok and not Project.objects.exists()
    assert any("范围" in str(e) for e in report.errors)


def test_a_pairing_cadre_may_not_import_projects(tmp_path, pairing, east):
    path = workbook(tmp_path / "项目.xlsx", HEADERS, [_row()])
    with pytest.raises(LedgerError):
        import_ledger(get_kind("projects")(pairing), path)


def test_assets_name_their_project_and_are_exported_in_scope(
    tmp_path, office, east_cadre, east, west
):
    make_project("东村光伏电站", east)
    make_project("西村光伏电站", west)
    headers = ["资产名称", "村", "所属项目", "所有权人", "资产价值（元）", "管护单位", "登记日期"]
    path = workbook(
        tmp_path / "资产.xlsx",
        headers,
        [
            ["东村光伏", "东村", "东村光伏电站", "村集体", 500000, "经管站", "2025-01-10"],
            ["西村光伏", "西村", "西村光伏电站", "村集体", 300000, None, "2025-01-10"],
        ],
    )
    report = import_ledger(get_kind("assets")(office), path)
    assert report.ok and report.created == 2, report.lines()
    assert Asset.objects.get(name="西村光伏").manager.name == "经管站"  # by default
    out = tmp_path / "导出.xlsx"
    assert export_ledger(get_kind("assets")(east_cadre), out) == 1
    wrong = workbook(
        tmp_path / "错.xlsx",
        headers,
        [["东村X", "东村", "西村光伏电站", "村集体", 1, None, "2025-01-10"]],
    )
    refused = import_ledger(get_kind("assets")(office), wrong)
    assert not refused.ok and "所属项目" in "\n".join(refused.lines())


def test_the_demo_gives_projects_and_assets_done_late_and_missing(office, east, west):
    from projects.demo import seed

    counts = seed(rng=random.Random(7), scale="town", as_of=D(2026, 11, 30))
    assert counts["projects"] > 0 and counts["assets"] > 0
    items = overdue_items(
        user=office, as_of=D(2026, 11, 30), since=D(2023, 1, 1), filters=Filters()
    )
    rules = {i.rule for i in items}
    assert rules & {"project.notice_start", "project.acceptance", "asset.distribution"}
    assert Project.objects.filter(accepted_on__isnull=False).exists()
