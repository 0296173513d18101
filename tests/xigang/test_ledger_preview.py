"""The import preview of every ledger that can change a stored row shows what the file would
change: the row reads 更新 and the changed cell <del>stored</del> <ins>file's</ins>, in the
file's terms (a name, not an id), and the other cells carry no mark."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib import admin

from tests.conftest import workbook
from tests.ledger_admin import preview_errors, preview_rows, upload
from xigang.admin import LedgerAdminMixin
from xigang.ledgers import KINDS, get_kind, import_ledger

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today", "east_household", "west")]

Sheet = tuple[str, list[str], list[list[Any]]]  # a ledger, its headers, its rows


@dataclass(frozen=True)
class Case:
    """A stored row (imported first, after `needs`), then a file that changes it."""

    user: str  # the importer, a fixture of the cast
    headers: list[str]
    before: list[Any] | None  # None: the fixtures store the row already
    after: list[Any]
    marks: dict[str, str]  # header -> how the preview marks its cell
    needs: list[Sheet] = field(default_factory=list)


ID = "370481199001011233"
PLAN = ("plans", ["户编号", "年度", "入户调查日期"], [["东村-001", 2026, "2026-02-01"]])
PROJECT_HEADERS = ["项目名称", "村", "项目类型", "实施单位", "计划开工日期", "计划完工日期"]
PROJECT = ["东村蔬菜大棚", "东村", "产业", "农业办", "2026-04-01", "2026-10-31"]

CASES: dict[str, Case] = {
    "villages": Case(
        "office",
        ["村名称", "类型", "党总支"],
        None,
        ["东村", "居", "西岗党总支"],
        {"类型": "<del>村</del> <ins>居</ins>"},
    ),
    "cadres": Case(
        "office",
        ["用户名", "姓名", "单位", "职务"],
        ["zhao", "赵六", "民政科", "科员"],
        ["zhao", "赵六", "扶贫办", "科员"],
        {"单位": "<del>民政科</del> <ins>扶贫办</ins>"},
    ),
    "households": Case(
        "office",
        ["户编号", "村", "户主姓名", "联系电话"],
        ["东村-001", "东村", "张三", "13800000001"],
        ["东村-001", "西村", "张三", "13800000001"],
        {"村": "<del>东村</del> <ins>西村</ins>"},
    ),
    "members": Case(
        "office",
        ["身份证号", "户编号", "姓名", "与户主关系"],
        [ID, "东村-001", "张三", "户主"],
        [ID, "东村-001", "张叁", "户主"],
        {"姓名": "<del>张三</del> <ins>张叁</ins>"},
    ),
    "member_changes": Case(
        "office",
        ["户编号", "姓名", "变动类型", "变动日期", "上报日期"],
        ["东村-001", "张小明", "新生", "2026-11-01", "2026-11-05"],
        ["东村-001", "张小明", "新生", "2026-11-01", "2026-11-06"],
        {"上报日期": "<del>2026-11-05</del> <ins>2026-11-06</ins>"},
    ),
    "pairings": Case(
        "office",
        ["户编号", "帮扶责任人", "开始日期", "结束日期"],
        None,
        ["东村-001", "pairing", "2026-01-01", "2026-11-20"],
        {"结束日期": "<del></del> <ins>2026-11-20</ins>"},
    ),
    "visits": Case(
        "office",
        ["户编号", "帮扶责任人", "方式", "日期", "内容"],
        ["东村-001", "pairing", "入户", "2026-11-10", "了解家庭收入和务工情况"],
        ["东村-001", "pairing", "入户", "2026-11-10", "了解家庭收入和就医情况"],
        {"内容": "<del>了解家庭收入和务工情况</del> <ins>了解家庭收入和就医情况</ins>"},
    ),
    "problems": Case(
        "office",
        ["户编号", "问题类别", "发现日期", "问题描述", "上报人", "办结日期", "办理情况"],
        ["东村-001", "危房改造", "2026-11-02", "墙体开裂", "pairing", "2026-11-20", "已修缮"],
        ["东村-001", "危房改造", "2026-11-02", "墙体开裂", "pairing", "2026-11-20", "已加固"],
        {"办理情况": "<del>已修缮</del> <ins>已加固</ins>"},
    ),
    "emergencies": Case(
        "office",
        ["户编号", "发生日期", "原因", "支出金额", "上报日期", "救助日期", "救助金额"],
        ["东村-001", "2026-11-01", "因病", "5000", "2026-11-02", "2026-11-05", "800"],
        ["东村-001", "2026-11-01", "因病", "5000", "2026-11-02", "2026-11-05", "1000"],
        {"救助金额": "<del>800.00</del> <ins>1000.00</ins>"},
    ),
    "accountability": Case(
        "inspector",
        ["单位", "村", "个人", "问责方式", "情节", "决定日期", "问责事由"],
        [None, None, "pairing", "诫勉谈话", "情节较轻", "2026-11-02", "走访不实"],
        [None, None, "pairing", "诫勉谈话", "情节较轻", "2026-11-02", "走访记录不实"],
        {"问责事由": "<del>走访不实</del> <ins>走访记录不实</ins>"},
    ),
    "assessments": Case(
        "office",
        ["户编号", "评估项目", "是否达标", "评估日期"],
        ["东村-001", "不愁吃", "是", "2026-11-02"],
        ["东村-001", "不愁吃", "否", "2026-11-02"],
        {"是否达标": "<del>是</del> <ins>否</ins>"},
    ),
    "projects": Case(
        "office",
        PROJECT_HEADERS,
        PROJECT,
        [*PROJECT[:5], "2026-11-15"],
        {"计划完工日期": "<del>2026-10-31</del> <ins>2026-11-15</ins>"},
    ),
    "assets": Case(
        "office",
        ["资产名称", "村", "所属项目", "所有权人", "资产价值（元）", "管护单位", "登记日期"],
        ["大棚", "东村", "东村蔬菜大棚", "村集体", "500000", None, "2026-11-01"],
        ["大棚", "东村", "东村蔬菜大棚", "村集体", "500000", "民政科", "2026-11-01"],
        {"管护单位": "<del>经管站</del> <ins>民政科</ins>"},
        needs=[("projects", PROJECT_HEADERS, [PROJECT])],
    ),
    "plans": Case(
        "office",
        ["户编号", "年度", "入户调查日期", "致贫原因分析日期"],
        ["东村-001", 2026, "2026-02-01", None],
        ["东村-001", 2026, "2026-02-01", "2026-02-10"],
        {"致贫原因分析日期": "<del></del> <ins>2026-02-10</ins>"},
    ),
    "measures": Case(
        "office",
        ["户编号", "年度", "帮扶措施", "责任部门", "应完成日期", "落实日期", "佐证"],
        ["东村-001", 2026, "临时救助", "民政科", "2026-12-31", None, None],
        ["东村-001", 2026, "临时救助", "民政科", "2026-12-31", "2026-11-20", "发放单"],
        {"落实日期": "<del></del> <ins>2026-11-20</ins>", "佐证": "<del></del> <ins>发放单</ins>"},
        needs=[PLAN],
    ),
}
# Importable kinds whose file never changes a stored row, and why.
NEVER_UPDATE = {
    "commendations": "a recorded commendation is kept as proposed; a file may only add one",
}
# Kinds imported by command only: their rows are planned by the kinds above (households and
# members, cadres and pairings, visits), whose cases show the marks.
COMMAND_ONLY = {"national_persons", "pairing_roster", "visit_sheet"}


def _screens() -> dict[str, str]:
    """Ledger kind -> the admin model whose import screen runs it ("households_household")."""
    return {
        a.ledger_kind: f"{m._meta.app_label}_{m._meta.model_name}"
        for m, a in admin.site._registry.items()
        if isinstance(a, LedgerAdminMixin)
    }


def test_every_kind_that_can_update_has_its_case():
    importable = {name for name, kind in KINDS.items() if kind.importable}
    assert importable == set(CASES) | set(NEVER_UPDATE) | COMMAND_ONLY
    assert not set(CASES) & set(NEVER_UPDATE)
    screens = _screens()
    assert set(CASES) | set(NEVER_UPDATE) <= set(screens)
    assert not COMMAND_ONLY & set(screens)


def _import(user, name, headers, rows, path):
    report = import_ledger(get_kind(name)(user), workbook(path, headers, rows))
    assert report.ok and report.written, report.lines()


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_preview_marks_the_changed_cell_and_no_other(request, client, tmp_path, name):
    case = CASES[name]
    user = request.getfixturevalue(case.user)
    for index, (needed, headers, rows) in enumerate(case.needs):
        _import(user, needed, headers, rows, tmp_path / f"need{index}.xlsx")
    if case.before is not None:
        _import(user, name, case.headers, [case.before], tmp_path / "before.xlsx")
    client.force_login(user)
    path = workbook(tmp_path / "after.xlsx", case.headers, [case.after])
    preview = upload(client, _screens()[name], path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert preview_errors(preview) == []
    assert preview_rows(preview) == [(2, "update")]
    result = preview.context["result"]
    (row,) = result.valid_rows()
    cells = dict(zip(result.diff_headers, row.diff, strict=True))
    assert {h: cells[h] for h in case.marks} == case.marks
    assert [h for h, cell in cells.items() if "<del>" in cell or "<ins>" in cell] == list(
        case.marks
    )
    page = preview.content.decode()
    assert all(mark in page for mark in case.marks.values())
    assert "更新" in page


def test_a_stored_id_number_is_shown_as_the_importer_may_read_it(client, tmp_path, pairing):
    """A pairing cadre does not keep the registry: the ID number a change replaces is masked."""
    headers = ["户编号", "身份证号", "姓名", "变动类型", "变动日期", "上报日期"]
    before = ["东村-001", ID, "张小明", "迁入", "2026-11-01", "2026-11-05"]
    _import(pairing, "member_changes", headers, [before], tmp_path / "before.xlsx")
    other = "370481198505050012"
    client.force_login(pairing)
    after = workbook(tmp_path / "after.xlsx", headers, [[*before[:1], other, *before[2:]]])
    preview = upload(client, "households_memberchange", after)
    assert preview_rows(preview) == [(2, "update")]
    page = preview.content.decode()
    assert ID not in page
    assert "<del>370481********1233</del>" in page


@pytest.mark.parametrize("name", ["projects", "assets"])
def test_the_preview_of_changed_rows_reads_the_same_queries_for_two_or_six(
    client, tmp_path, office, name
):
    """The stored rows' names (实施单位, 所属项目, 管护单位) come with them, not one query each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    asset_headers = CASES["assets"].headers
    projects = [[f"项目{n}", *PROJECT[1:]] for n in range(6)]
    _import(office, "projects", PROJECT_HEADERS, projects, tmp_path / "projects.xlsx")
    assets = [
        [f"资产{n}", "东村", f"项目{n}", "村集体", "1000", None, "2026-11-01"] for n in range(6)
    ]
    _import(office, "assets", asset_headers, assets, tmp_path / "assets.xlsx")
    client.force_login(office)

    def queries(count):
        if name == "projects":
            headers, rows = PROJECT_HEADERS, [[*p[:5], "2026-11-15"] for p in projects[:count]]
        else:
            headers, rows = asset_headers, [[*a[:5], "民政科", a[6]] for a in assets[:count]]
        path = workbook(tmp_path / f"{count}.xlsx", headers, rows)
        with CaptureQueriesContext(connection) as captured:
            preview = upload(client, _screens()[name], path)
        assert [kind for _row, kind in preview_rows(preview)] == ["update"] * count
        return len(captured)

    assert queries(2) == queries(6)
