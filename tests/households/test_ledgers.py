"""The registry's four ledgers: round trips, all-or-nothing, Chinese errors, formula-safe and
scoped exports, a fixed number of queries whatever the file size."""

import datetime

import openpyxl
import pytest

from duties.organisation.services import cadre_save
from households.models import Household, Member, MemberChange, Pairing
from households.services import member_save
from tests.conftest import workbook
from tests.households.conftest import TITLE, idn, read_back
from xigang.ledgers import export_ledger, get_kind, import_ledger

D = datetime.date
H_HEADERS = [
    "户编号",
    "村",
    "户主姓名",
    "户主身份证号",
    "家庭人口",
    "联系电话",
    "贫困户属性",
    "脱贫状态",
    "识别年度",
    "脱贫年度",
    "主要致贫原因",
    "重点户",
]


def _import(user, name, path, dry_run=False):
    return import_ledger(get_kind(name)(user), path, dry_run=dry_run)


def _export(user, name, path):
    export_ledger(get_kind(name)(user), path)
    return read_back(path)


def _household_row(n, village="东村", size=1, **over):
    row = {
        "户编号": f"{village}-{n:03d}",
        "村": village,
        "户主姓名": f"户主{n}",
        "户主身份证号": idn(n),
        "家庭人口": size,
        "联系电话": "13800138000",
        "贫困户属性": "一般贫困户",
        "脱贫状态": "未脱贫",
        "识别年度": 2016,
        "脱贫年度": None,
        "主要致贫原因": "因病",
        "重点户": "否",
    }
    row.update(over)
    return [row[h] for h in H_HEADERS]


# --- households -----------------------------------------------------------------------------


def test_households_import_under_a_title_row_and_round_trip_unchanged(tmp_path, office, east, west):
    source = workbook(
        tmp_path / "in.xlsx",
        H_HEADERS,
        [
            _household_row(1),
            _household_row(2, "西村", 脱贫状态="已脱贫（享受政策）", 脱贫年度=2019),
        ],
        title=TITLE,
    )
    report = _import(office, "households", source)
    assert report.ok and (report.created, report.written) == (2, True)
    h = Household.objects.get(number="西村-002")
    assert (h.village.name, h.status, h.year_exited, h.head_id_number) == (
        "西村",
        "已脱贫（享受政策）",
        2019,
        idn(2),
    )

    rows = _export(office, "households", tmp_path / "out.xlsx")
    assert rows[0][0] == "西岗镇建档立卡贫困户台账"
    assert list(rows[2]) == H_HEADERS
    again = _import(office, "households", tmp_path / "out.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_one_bad_row_refuses_the_whole_file_with_row_and_header(tmp_path, office, east):
    source = workbook(
        tmp_path / "in.xlsx",
        H_HEADERS,
        [
            _household_row(1),
            _household_row(2, 贫困户属性="富裕户"),
            _household_row(3, 村="北村"),
        ],
        title=TITLE,
    )
    report = _import(office, "households", source)
    assert not report.ok and not report.written
    assert Household.objects.count() == 0
    lines = report.lines()
    # one pass: cell errors and errors against the register come together, in row order
    assert lines[0] == "已拒绝，未写入任何数据：共2处错误"
    # row numbers as Excel shows them: title on 1, headers on 2, data from 3
    assert lines[1:] == [
        "第4行「贫困户属性」列：「富裕户」不在可选值中：一般贫困户 / 低保贫困户 / 特困供养贫困户",
        "第5行「村」列：没有名为「北村」的村（居）",
    ]
    del_row = workbook(
        tmp_path / "in2.xlsx",
        H_HEADERS,
        [_household_row(1), _household_row(3, 村="北村")],
        title=TITLE,
    )
    report = _import(office, "households", del_row)
    assert report.lines()[1:] == ["第4行「村」列：没有名为「北村」的村（居）"]
    assert Household.objects.count() == 0


def test_an_id_number_excel_turned_into_a_number_is_refused_with_the_reason(tmp_path, office, east):
    source = workbook(
        tmp_path / "in.xlsx",
        H_HEADERS,
        [_household_row(1, 户主身份证号=3.70481198005171e17)],
        title=TITLE,
    )
    report = _import(office, "households", source)
    assert Household.objects.count() == 0
    assert "第3行「户主身份证号」列" in str(report.errors[0])
    assert "无法恢复" in str(report.errors[0])


def test_a_wrong_check_digit_is_refused(tmp_path, office, east):
    bad = idn(1)[:17] + ("0" if idn(1)[17] != "0" else "1")
    report = _import(
        office,
        "households",
        workbook(
            tmp_path / "in.xlsx", H_HEADERS, [_household_row(1, 户主身份证号=bad)], title=TITLE
        ),
    )
    assert "校验码不对" in str(report.errors[0])


def test_household_size_is_checked_against_the_members(tmp_path, office, east_household):
    member_save(member=Member(household=east_household, id_number=idn(1), name="张三"))
    source = workbook(tmp_path / "in.xlsx", H_HEADERS, [_household_row(1, 家庭人口=3)], title=TITLE)
    report = _import(office, "households", source)
    assert str(report.errors[0]) == (
        "第3行「家庭人口」列：家庭人口为3，但登记在册的家庭成员为1人，请更正人口数或成员信息"
    )


def test_a_village_cadre_cannot_import_into_another_village(tmp_path, east_cadre, west_household):
    source = workbook(
        tmp_path / "in.xlsx",
        H_HEADERS,
        [_household_row(2, "西村"), _household_row(1, "西村", 户编号="西村-001")],
        title=TITLE,
    )
    report = _import(east_cadre, "households", source)
    # 西村-001 exists: answered exactly like the new number of row 3 (round two, L1)
    assert [str(e) for e in report.errors] == [
        "第3行「村」列：您无权管理「西村」的贫困户",
        "第4行「村」列：您无权管理「西村」的贫困户",
    ]


def test_closing_a_household_by_ledger_ends_its_pairing(tmp_path, office, east_household):
    source = workbook(
        tmp_path / "in.xlsx",
        H_HEADERS,
        [_household_row(1, 户编号="东村-001", 户主姓名="张三", 脱贫状态="已销户", 脱贫年度=2020)],
        title=TITLE,
    )
    assert _import(office, "households", source).ok
    assert not Pairing.objects.filter(household=east_household, end__isnull=True).exists()


def test_exports_never_write_formulas(tmp_path, office, east):
    Household.objects.create(
        number="=1+1", village=east, head_name='=HYPERLINK("http://x")', phone="+8613800138000"
    )
    _export(office, "households", tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    cells = [c for c in sheet[4] if c.value]
    assert cells[0].value == "=1+1" and all(
        c.data_type == "s" for c in cells if isinstance(c.value, str)
    )


@pytest.mark.usefixtures("today")
def test_exports_are_scoped_and_masked(
    tmp_path, east_household, west_household, east_cadre, pairing, outsider
):
    east_household.head_id_number = idn(1)
    east_household.save()
    rows = _export(east_cadre, "households", tmp_path / "a.xlsx")
    assert [r[0] for r in rows[3:]] == ["东村-001"]
    assert rows[3][3] == idn(1)  # village cadres keep the registry
    rows = _export(pairing, "households", tmp_path / "b.xlsx")
    assert [r[0] for r in rows[3:]] == ["东村-001"]
    assert rows[3][3] == idn(1)[:6] + "********" + idn(1)[14:]
    from xigang.ledgers import LedgerError

    with pytest.raises(LedgerError):
        _export(outsider, "households", tmp_path / "c.xlsx")


def test_planning_a_file_costs_the_same_queries_whatever_its_size(
    tmp_path, office, east, django_assert_max_num_queries
):
    rows = [_household_row(n) for n in range(1, 301)]
    source = workbook(tmp_path / "in.xlsx", H_HEADERS, rows, title=TITLE)
    # Queries: scope (groups, 2 grants, cadre), villages, households, member counts, savepoint
    # and release; the permission check (2). 300 rows plan in the same as 3 would.
    with django_assert_max_num_queries(12):
        report = _import(office, "households", source, dry_run=True)
    assert report.created == 300


# --- members --------------------------------------------------------------------------------

M_HEADERS = [
    "身份证号",
    "户编号",
    "姓名",
    "与户主关系",
    "健康状况",
    "残疾等级",
    "劳动能力",
    "在校生状况",
    "在册",
]


def test_members_round_trip_and_size_check(tmp_path, office, east_household, west_household):
    east_household.size = 2
    east_household.save()
    rows = [
        [idn(1), "东村-001", "张三", "户主", "健康", None, "普通劳动力", "非在校生", "是"],
        [
            idn(3, D(2015, 3, 1)),
            "东村-001",
            "张小三",
            "子",
            "残疾",
            "二级",
            "无劳动力",
            "小学",
            "是",
        ],
    ]
    report = _import(
        office, "members", workbook(tmp_path / "m.xlsx", M_HEADERS, rows, title="家庭成员")
    )
    assert report.ok and report.created == 2
    assert Member.objects.get(id_number=idn(3, D(2015, 3, 1))).disability_grade == "二级"
    _export(office, "members", tmp_path / "out.xlsx")
    again = _import(office, "members", tmp_path / "out.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # one member more than the household's 家庭人口: refused, naming the household
    rows.append([idn(5), "东村-001", "李五", "其他", None, None, None, None, "是"])
    report = _import(
        office, "members", workbook(tmp_path / "m2.xlsx", M_HEADERS, rows, title=TITLE)
    )
    assert not report.ok and Member.objects.count() == 2
    assert "「东村-001」户：家庭人口为2，但登记在册的家庭成员为3人" in str(report.errors[0])


def test_a_member_counting_in_another_household_is_refused(
    tmp_path, office, east_household, west_household
):
    member_save(member=Member(household=east_household, id_number=idn(1), name="张三"))
    rows = [[idn(1), "西村-001", "张三", "户主", None, None, None, None, "是"]]
    report = _import(office, "members", workbook(tmp_path / "m.xlsx", M_HEADERS, rows, title=TITLE))
    assert "该身份证号已在「东村-001」户在册" in str(report.errors[0])
    assert str(report.errors[0]).startswith("第3行「身份证号」列")


# --- member changes ------------------------------------------------------------------------

C_HEADERS = ["户编号", "身份证号", "姓名", "变动类型", "变动日期", "上报日期"]


def test_member_changes_update_the_household_through_the_service(tmp_path, office, east_household):
    member_save(member=Member(household=east_household, id_number=idn(1), name="张三"))
    baby = idn(4, D(2026, 2, 1))
    rows = [
        ["东村-001", baby, "张小宝", "新生", "2026/2/1", "2026年2月20日"],
        ["东村-001", None, "张三", "死亡", D(2026, 3, 5), D(2026, 5, 1)],
    ]
    report = _import(
        office, "member_changes", workbook(tmp_path / "c.xlsx", C_HEADERS, rows, title=TITLE)
    )
    assert report.ok and report.created == 2
    east_household.refresh_from_db()
    assert east_household.size == 1  # 1 + birth - death
    assert Member.objects.get(id_number=baby).active
    assert Member.objects.get(id_number=idn(1)).left_on == D(2026, 3, 5)
    assert MemberChange.objects.get(kind="死亡").reported_by == office
    _export(office, "member_changes", tmp_path / "out.xlsx")
    again = _import(office, "member_changes", tmp_path / "out.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_a_bad_member_change_refuses_the_file(tmp_path, office, east_household):
    rows = [
        ["东村-001", idn(4), "甲", "迁入", "2026-02-01", "2026-02-03"],
        ["东村-001", None, "无此人", "迁出", "2026-02-01", "2026-02-03"],
        ["东村-001", None, "乙", "新生", "2026-02-05", "2026-02-01"],
    ]
    report = _import(
        office, "member_changes", workbook(tmp_path / "c.xlsx", C_HEADERS, rows, title=TITLE)
    )
    assert [str(e) for e in report.errors] == [
        "第4行「姓名」列：本户目前没有该身份证号或姓名的在册成员",
        "第5行「上报日期」列：上报日期早于变动日期",
    ]
    assert not MemberChange.objects.exists() and not Member.objects.exists()


# --- pairings -------------------------------------------------------------------------------

P_HEADERS = ["户编号", "帮扶责任人", "开始日期", "结束日期"]


def test_pairings_handover_round_trip_and_overlap(tmp_path, office, east_household, pairing):
    other = cadre_save(username="zhao", name="赵六", roles=["帮扶责任人"])
    rows = [
        ["东村-001", "pairing", "2026-01-01", "2026-06-30"],
        ["东村-001", "zhao", "2026-07-01", None],
    ]
    report = _import(
        office, "pairings", workbook(tmp_path / "p.xlsx", P_HEADERS, rows, title=TITLE)
    )
    assert report.ok and (report.created, report.updated) == (1, 1)
    assert list(east_household.pairings.order_by("start").values_list("cadre", "end")) == [
        (pairing.cadre.pk, D(2026, 6, 30)),
        (other.pk, None),
    ]
    _export(office, "pairings", tmp_path / "out.xlsx")
    again = _import(office, "pairings", tmp_path / "out.xlsx")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    clash = [["东村-001", "pairing", "2026-09-01", None]]
    report = _import(
        office, "pairings", workbook(tmp_path / "p2.xlsx", P_HEADERS, clash, title=TITLE)
    )
    assert str(report.errors[0]) == (
        "第3行「开始日期」列：与赵六自2026-07-01至—的结对时间重叠：一户同一时间只有一名帮扶责任人"
    )
    assert east_household.pairings.count() == 2


def test_a_pairing_with_an_unknown_cadre_is_refused(tmp_path, office, east_household):
    rows = [["东村-001", "nobody", "2026-01-01", None]]
    report = _import(
        office, "pairings", workbook(tmp_path / "p.xlsx", P_HEADERS, rows, title=TITLE)
    )
    assert str(report.errors[0]) == "第3行「帮扶责任人」列：没有用户名为「nobody」的帮扶责任人"


@pytest.mark.usefixtures("today")
def test_a_pairing_cadre_reports_changes_only_for_paired_households(
    tmp_path, pairing, east_household, west_household
):
    rows = [
        ["东村-001", None, "张小宝", "新生", "2026-02-01", "2026-02-05"],
        ["西村-001", None, "李小宝", "新生", "2026-02-01", "2026-02-05"],
    ]
    report = _import(
        pairing, "member_changes", workbook(tmp_path / "c.xlsx", C_HEADERS, rows, title=TITLE)
    )
    # out of scope reads like a household that does not exist
    assert [str(e) for e in report.errors] == [
        "第4行「户编号」列：没有户编号为「西村-001」的贫困户"
    ]
    assert not MemberChange.objects.exists()
    report = _import(
        pairing, "member_changes", workbook(tmp_path / "c2.xlsx", C_HEADERS, rows[:1], title=TITLE)
    )
    assert report.ok and east_household.changes.get().name == "张小宝"


def test_an_old_size_disagreement_does_not_block_a_round_trip(tmp_path, office, east_household):
    member_save(member=Member(household=east_household, id_number=idn(1), name="张三"))
    east_household.size = 3  # a finding for the data-quality page, not an import error
    east_household.save()
    for kind in ("households", "members"):
        _export(office, kind, tmp_path / f"{kind}.xlsx")
        again = _import(office, kind, tmp_path / f"{kind}.xlsx")
        assert again.ok and again.unchanged == 1, kind
