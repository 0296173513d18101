"""The 走访记录 sheet offices keep: households by their head's name within the village, cadres
by name; imported through the visits ledger's rules (issue 14, point 3)."""

import datetime

from households.models import Household
from tests.conftest import make_user, workbook
from visits.models import Visit
from xigang import roles
from xigang.ledgers import get_kind, import_ledger

HEADERS = ["序号", "村", "户主姓名", "帮扶责任人", "走访日期", "走访方式", "走访内容"]


def _import(user, source, dry_run=False):
    return import_ledger(get_kind("visit_sheet")(user), source, dry_run=dry_run)


def test_a_visit_sheet_with_names_imports_as_visits(tmp_path, office, east_household, pairing):
    rows = [
        [1, "东村", "张三", "pairing", "2026年3月5日", "入户走访", "了解今年家庭收入和务工情况"],
        [2, "东村", "张三", "pairing", 20260310, "电话联系", "电话询问慢性病用药和报销情况"],
    ]
    source = workbook(tmp_path / "v.xlsx", HEADERS, rows, title="东村走访记录")
    report = _import(office, source)
    assert report.ok and report.created == 2, report.lines()
    assert sorted(Visit.objects.values_list("household__number", "cadre__name", "kind", "on")) == [
        ("东村-001", "pairing", "入户", datetime.date(2026, 3, 5)),
        ("东村-001", "pairing", "电话", datetime.date(2026, 3, 10)),
    ]
    assert "序号" in report.unknown_headers


def test_ambiguous_or_unknown_names_are_refused_with_the_reason(
    tmp_path, office, east, east_household, pairing
):
    Household.objects.create(number="东村-002", village=east, head_name="张三")
    make_user("twin", roles.PAIRING, east, name="pairing")
    rows = [
        [1, "东村", "张三", "pairing", "2026-03-05", "入户", None],
        [2, "东村", "李四", "pairing", "2026-03-05", "入户", None],
        [3, "东村", "张三", "没有此人", "2026-03-05", "入户", None],
    ]
    report = _import(office, workbook(tmp_path / "v.xlsx", HEADERS, rows))
    assert [str(e) for e in report.errors] == [
        "第2行「户主姓名」列：东村有多户的户主叫「张三」（东村-001、东村-002），请填写户编号",
        "第3行「户主姓名」列：东村没有户主叫「李四」的户",
        "第4行「户主姓名」列：东村有多户的户主叫「张三」（东村-001、东村-002），请填写户编号",
    ]
    assert Visit.objects.count() == 0
