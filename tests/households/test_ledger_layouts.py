"""Workbooks laid out as the town's offices keep them (built here by code): what imports, what
is refused with its reason, and that nothing gets in wrong silently (issue 14)."""

import datetime
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from households.models import Household, Member, Pairing
from tests.conftest import workbook
from tests.households.conftest import idn
from xigang.idnumber import check_digit
from xigang.ledgers import LedgerError, export_ledger, get_kind, import_ledger

D = datetime.date
HOUSEHOLD = ["户编号", "村", "户主姓名", "户主身份证号", "家庭人口"]


def _import(user, name, source, dry_run=False):
    return import_ledger(get_kind(name)(user), source, dry_run=dry_run)


def _messages(report):
    return [str(e) for e in report.errors]


def _book(path, sheets):
    """A workbook of several sheets: {title: (rows, merged ranges)}."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, (rows, merges) in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for merge in merges:
            sheet.merge_cells(merge)
    book.save(path)
    return path


# --- A: nothing imports wrong silently --------------------------------------------------------


def test_headers_with_a_line_break_or_a_unit_are_matched_and_said(tmp_path, office, east):
    headers = ["户编号", "村", "户主姓名", "户主\n身份证号", "家庭人口（人）", "备用列"]
    source = workbook(tmp_path / "h.xlsx", headers, [["东村-001", "东村", "张三", idn(1), 3, "x"]])
    report = _import(office, "households", source)
    assert report.ok and report.written
    household = Household.objects.get(number="东村-001")
    assert (household.head_id_number, household.size) == (idn(1), 3)
    assert report.unknown_headers == ["备用列"]  # named, never dropped silently
    assert ("户主\n身份证号", "户主身份证号") in report.matched_headers
    assert "以下列不属于本台账，已忽略：备用列" in report.lines()


@pytest.mark.parametrize("number", [37048110520100012, 1])
def test_a_household_number_excel_stored_as_a_number_is_refused_with_the_reason(
    tmp_path, office, east, number
):
    source = workbook(tmp_path / "h.xlsx", HOUSEHOLD, [[number, "东村", "张三", idn(1), 1]])
    report = _import(office, "households", source)
    assert not report.ok and Household.objects.count() == 0
    (message,) = _messages(report)
    assert message.startswith("第2行「户编号」列：")
    assert "前导零" in message and "15" in message


def test_id_numbers_are_stored_as_the_house_stores_them(tmp_path, office, east):
    typed = idn(7)[:17].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    number = idn(7)
    assert number[-1] != "X"
    with_x = next(  # a number whose check character is X, typed lower case with spaces
        f"370481{D(1980, 5, 17):%Y%m%d}{n:03d}"
        for n in range(1000)
        if check_digit(f"370481{D(1980, 5, 17):%Y%m%d}{n:03d}") == "X"
    )
    rows = [
        ["东村-001", "东村", "张三", "\u3000" + typed[:6] + "\u00a0" + typed[6:] + number[-1], 1],
        ["东村-002", "东村", "李四", with_x[:9] + " " + with_x[9:] + "x", 1],
    ]
    report = _import(office, "households", workbook(tmp_path / "h.xlsx", HOUSEHOLD, rows))
    assert report.ok, report.lines()
    stored = dict(Household.objects.values_list("number", "head_id_number"))
    assert stored == {"东村-001": number, "东村-002": with_x + "X"}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (idn(1)[:17] + ("0" if idn(1)[17] != "0" else "1"), "校验码"),
        ("99" + idn(1)[2:17], "地区码"),
        ("370481" + "21990101" + "123", "出生日期"),
        ("370481" + "18890101" + "123", "出生日期"),
        ("3704811980051", "18"),
    ],
)
def test_a_wrong_id_number_is_refused_with_the_reason(tmp_path, office, east, value, reason):
    if len(value) == 17:
        value += check_digit(value)
    source = workbook(tmp_path / "h.xlsx", HOUSEHOLD, [["东村-001", "东村", "张三", value, 1]])
    report = _import(office, "households", source)
    (message,) = _messages(report)
    assert message.startswith("第2行「户主身份证号」列：") and reason in message


def test_a_fifteen_digit_number_is_converted_with_a_warning(tmp_path, office, east):
    old = "370481800517123"  # born 1980-05-17, first generation
    source = workbook(tmp_path / "h.xlsx", HOUSEHOLD, [["东村-001", "东村", "张三", old, 1]])
    report = _import(office, "households", source)
    new = "37048119800517123" + check_digit("37048119800517123")
    assert report.ok and Household.objects.get().head_id_number == new
    assert [str(w) for w in report.warnings] == [
        f"第2行「户主身份证号」列：15位身份证号 {old} 已转换为 {new}，请核对"
    ]


def test_a_blank_head_name_is_refused_in_the_dry_run_and_nothing_is_written(tmp_path, office, east):
    rows = [["东村-001", "东村", "张三", idn(1), 1], ["东村-002", "东村", None, idn(2), 1]]
    source = workbook(tmp_path / "h.xlsx", HOUSEHOLD, rows)
    for dry_run in (True, False):
        report = _import(office, "households", source, dry_run=dry_run)
        assert _messages(report) == ["第3行「户主姓名」列：不能为空"]
    assert Household.objects.count() == 0


def test_member_changes_without_a_user_are_refused_before_reading(tmp_path, east_household):
    source = workbook(
        tmp_path / "c.xlsx",
        ["户编号", "身份证号", "姓名", "变动类型", "变动日期", "上报日期"],
        [["东村-001", None, "张小", "新生", "2026-03-01", "2026-03-02"]],
    )
    for args in ([], ["--dry-run"]):
        with pytest.raises(CommandError, match="--user"):
            call_command("import_ledger", "member_changes", str(source), *args)


# --- B: office layouts -----------------------------------------------------------------------


def test_a_village_ledger_with_its_title_lines_serials_totals_and_signatures(
    tmp_path, office, east
):
    rows = [
        ["西岗镇东村建档立卡贫困户花名册"],
        ["填报单位：东村村委会", None, None, "填报日期：2026年3月1日"],
        [],
        ["说明：本表由村两委填写"],
        [],
        ["序号", "户编号", "行政村", "户主姓名", "证件号码", "人数"],
        [1, "东村-001", "东村", "张三", idn(1), 3],
        [None, None, None, None, None, None],
        [2, "东村-002", "东村", "李四", idn(2), 2],
        [3],  # a serial number alone: a blank row
        ["合计", None, None, None, None, 5],
        ["制表人：王五", None, "审核人：赵六"],
    ]
    source = _book(tmp_path / "v.xlsx", {"花名册": (rows, ["A1:F1"])})
    report = _import(office, "households", source)
    assert report.ok, report.lines()
    assert report.created == 2
    assert dict(Household.objects.values_list("number", "size")) == {"东村-001": 3, "东村-002": 2}
    assert report.unknown_headers == ["序号"]


def test_a_header_over_two_rows_with_merged_cells_and_an_instructions_sheet_first(
    tmp_path, office, east
):
    header = [
        ["户编号", "村", "户主信息", None, "家庭人口"],
        [None, None, "姓名", "身份证号", None],
    ]
    data = [["东村-001", "东村", "张三", idn(1), 2]]
    source = _book(
        tmp_path / "two.xlsx",
        {
            "填表说明": ([["填表说明"], ["1. 身份证号按文本格式填写"]], []),
            "台账": (
                [["东村建档立卡户"], *header, *data],
                ["A1:E1", "A2:A3", "B2:B3", "C2:D2", "E2:E3"],
            ),
        },
    )
    report = _import(office, "households", source)
    assert report.ok, report.lines()
    household = Household.objects.get()
    assert (household.head_name, household.head_id_number, household.size) == ("张三", idn(1), 2)


def test_a_household_number_merged_over_its_members_rows_is_filled_down(
    tmp_path, office, east_household
):
    east_household.size = 2
    east_household.save()
    rows = [
        ["户编号", "姓名", "证件号码", "与户主关系", "劳动技能"],
        ["东村-001", "张三", idn(1), "户主", "普通劳动力"],
        [None, "张小", idn(2, D(2010, 1, 1)), "之子", "无劳动力"],
    ]
    source = _book(tmp_path / "m.xlsx", {"成员": (rows, ["A2:A3"])})
    report = _import(office, "members", source)
    assert report.ok, report.lines()
    assert sorted(Member.objects.values_list("name", "relation", "labour")) == [
        ("张三", "户主", "普通劳动力"),
        ("张小", "子", "无劳动力"),
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_files_in_every_encoding_excel_saves(tmp_path, office, east, encoding):
    text = "户编号,村,户主姓名,户主身份证号,家庭人口\r\n东村-001,东村,张三," + idn(1) + ",1\r\n"
    path = tmp_path / "h.csv"
    path.write_bytes(text.encode(encoding))
    report = _import(office, "households", path)
    assert report.ok, report.lines()
    assert Household.objects.get().head_name == "张三"


def test_the_national_spellings_are_read_as_the_registers(tmp_path, office, east):
    headers = [*HOUSEHOLD, "贫困户属性", "脱贫状态"]
    rows = [
        ["东村-001", "东村", "张三", idn(1), 1, "五保户", "已脱贫(享受政策)"],
        ["东村-002", "东村", "李四", idn(2), 1, "低保户", "已脱贫(不再享受政策)"],
        ["东村-003", "东村", "王五", idn(3), 1, "一般贫困户", "未脱贫"],
    ]
    report = _import(office, "households", workbook(tmp_path / "h.xlsx", headers, rows))
    assert report.ok, report.lines()
    assert sorted(Household.objects.values_list("number", "category", "status")) == [
        ("东村-001", "特困供养贫困户", "已脱贫（享受政策）"),
        ("东村-002", "低保贫困户", "已脱贫（不享受政策）"),
        ("东村-003", "一般贫困户", "未脱贫"),
    ]


@pytest.mark.parametrize(
    "start", [20260301, "20260301", 46082, "2026年3月1日", datetime.datetime(2026, 3, 1)]
)
def test_dates_in_every_spelling_offices_use(tmp_path, office, east, pairing, start):
    Household.objects.create(number="东村-002", village=east, head_name="李四")
    headers = ["户编号", "帮扶责任人", "帮扶开始时间", "结束日期"]
    rows = [["东村-002", pairing.username, start, None]]
    report = _import(office, "pairings", workbook(tmp_path / "p.xlsx", headers, rows))
    assert report.ok, report.lines()
    assert Pairing.objects.filter(household__number="东村-002", start=D(2026, 3, 1)).exists()


@pytest.mark.parametrize("month", ["2026年3月", "202603"])
def test_a_month_where_a_day_is_needed_is_refused_with_the_reason(
    tmp_path, office, east_household, pairing, month
):
    rows = [["东村-001", pairing.username, month, None]]
    source = workbook(tmp_path / "p.xlsx", ["户编号", "帮扶责任人", "开始日期", "结束日期"], rows)
    (message,) = _messages(_import(office, "pairings", source))
    assert message.startswith("第2行「开始日期」列：") and "月份" in message


# --- C: one pass ------------------------------------------------------------------------------


def test_format_and_register_errors_come_together_with_row_and_header(tmp_path, office, east):
    rows = [
        ["东村-001", "北村", "张三", idn(1), 1],
        ["东村-002", "东村", "李四", "123", 1],
        ["东村-001", "东村", "王五", idn(3), 1],
    ]
    report = _import(office, "households", workbook(tmp_path / "h.xlsx", HOUSEHOLD, rows))
    assert _messages(report) == [
        "第2行「村」列：没有名为「北村」的村（居）",
        "第3行「户主身份证号」列：身份证号应为18位，此处为3位",
        "第4行「户编号」列：同一条记录已在第2行出现",
    ]
    assert Household.objects.count() == 0


def test_a_file_that_is_not_a_ledger_is_refused_in_chinese(tmp_path, office, east):
    path = tmp_path / "h.csv"
    path.write_bytes(b"\x00\x01binary")
    with pytest.raises(LedgerError, match="文件不是 Excel 工作簿"):
        _import(office, "households", io.BytesIO(path.read_bytes()))


def test_the_admin_upload_takes_a_csv_and_says_how_it_read_it(
    client, office, east, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.ledger_admin import confirm, upload

    settings.MEDIA_ROOT = tmp_path / "media"
    old = "370481800517123"
    text = f"户编号,行政村,户主姓名,证件号码,人数\r\n东村-001,东村,张三,{old},2\r\n"
    client.force_login(office)
    source = SimpleUploadedFile("花名册.csv", text.encode("gbk"), content_type="text/csv")
    preview = upload(client, "households_household", source)
    page = preview.content.decode()
    assert "按其他名称读取的列：「行政村」→「村」" in page
    assert "15位身份证号 370481800517123 已转换为" in page
    assert "确认导入" in page and Household.objects.count() == 0
    confirm(client, "households_household", preview)
    household = Household.objects.get()
    assert (household.village, household.size, len(household.head_id_number)) == (east, 2, 18)


# --- the national system's person-level export --------------------------------------------------

NATIONAL = [
    "县",
    "乡(镇)",
    "行政村",
    "户编号",
    "人编号",
    "姓名",
    "证件号码",
    "与户主关系",
    "人数",
    "贫困户属性",
    "脱贫状态",
    "劳动技能",
    "健康状况",
]


def _national_rows():
    place = ["滕州市", "西岗镇", "东村"]
    return [
        [*place, "37048100001", "1", "张三", idn(1), "户主", 3, "五保户", "已脱贫(享受政策)",
         "普通劳动力", "健康"],
        [*place, "37048100001", "2", "王芳", idn(2), "配偶", 3, "五保户", "已脱贫(享受政策)",
         "弱劳动力或半劳动力", "长期慢性病"],
        [*place, "37048100001", "3", "张小", idn(3, D(2012, 3, 1)), "之子", 3, "五保户",
         "已脱贫(享受政策)", "无劳动力", "健康"],
        [*place, "37048100002", "1", "李四", idn(4), "户主", 1, "一般贫困户", "未脱贫",
         "普通劳动力", "残疾"],
    ]  # fmt: skip


def test_the_national_person_export_imports_households_and_members_in_one_file(
    tmp_path, office, east
):
    source = workbook(tmp_path / "n.xlsx", NATIONAL, _national_rows(), title="人员信息")
    checked = _import(office, "national_persons", source, dry_run=True)
    assert checked.ok, checked.lines()
    assert (Household.objects.count(), Member.objects.count()) == (0, 0)  # a dry run
    assert {"县", "乡(镇)", "人编号"} <= set(checked.unknown_headers)
    report = _import(office, "national_persons", source)
    assert report.ok and report.created == 6  # two households, four members
    household = Household.objects.get(number="37048100001")
    assert (household.head_name, household.head_id_number, household.size) == ("张三", idn(1), 3)
    assert (household.category, household.status) == ("特困供养贫困户", "已脱贫（享受政策）")
    assert sorted(household.members.values_list("name", "relation")) == [
        ("张三", "户主"),
        ("张小", "子"),
        ("王芳", "配偶"),
    ]
    out = tmp_path / "out.xlsx"
    export_ledger(get_kind("national_persons")(office), out)
    again = _import(office, "national_persons", out)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 6)


def test_a_national_household_without_its_head_or_with_a_wrong_size_is_refused(
    tmp_path, office, east
):
    rows = _national_rows()
    rows[3][7] = "配偶"  # 37048100002 has no 户主 now
    rows[0][8] = rows[1][8] = rows[2][8] = 2  # 人数 2 for three people
    report = _import(office, "national_persons", workbook(tmp_path / "n.xlsx", NATIONAL, rows))
    assert _messages(report) == [  # one pass: both households' errors at once
        "第2行「户编号」列：「37048100001」户：家庭人口为2，但登记在册的家庭成员为3人，"
        "请更正人口数或成员信息",
        "第5行「与户主关系」列：户「37048100002」没有户主行",
    ]
    assert (Household.objects.count(), Member.objects.count()) == (0, 0)


# --- the 帮扶责任人 roster: names and units, no user names -------------------------------------------


def test_a_pairing_roster_with_names_imports_as_cadres_and_pairings(
    tmp_path, office, east, pairing
):
    from duties.models import Cadre

    for number in ("东村-001", "东村-002", "东村-003"):
        Household.objects.create(number=number, village=east, head_name="户主")
    headers = [
        "序号",
        "户编号",
        "户主姓名",
        "帮扶责任人",
        "工作单位",
        "职务",
        "联系电话",
        "帮扶开始时间",
    ]
    rows = [
        [1, "东村-001", "户主", pairing.cadre.name, "东村", None, None, "2026-01-01"],
        [2, "东村-002", "户主", "孙七", "东村", "村委委员", "13900000001", "2026-02-01"],
        [3, "东村-003", "户主", "孙七", "东村", "村委委员", "13900000001", "2026-02-01"],
    ]
    source = workbook(tmp_path / "r.xlsx", headers, rows, title="东村帮扶责任人名册")
    checked = _import(office, "pairing_roster", source, dry_run=True)
    assert checked.ok, checked.lines()
    assert [str(w) for w in checked.warnings] == [
        "第4行「帮扶责任人姓名」列：新干部「孙七」的用户名为 bf00001"
    ]
    assert not Cadre.objects.filter(name="孙七").exists()  # a dry run writes nothing
    report = _import(office, "pairing_roster", source)
    assert report.ok and report.written
    new = Cadre.objects.get(name="孙七")
    assert (new.user.username, new.mobile, new.village) == ("bf00001", "13900000001", east)
    assert sorted(Pairing.objects.values_list("household__number", "cadre__name")) == [
        ("东村-001", pairing.cadre.name),
        ("东村-002", "孙七"),
        ("东村-003", "孙七"),
    ]


def test_a_roster_name_two_cadres_share_is_refused_as_ambiguous(tmp_path, office, east, pairing):
    from tests.conftest import make_user
    from xigang import roles

    twin = make_user("twin", roles.PAIRING, east, name=pairing.cadre.name)
    Household.objects.create(number="东村-009", village=east, head_name="户主")
    rows = [["东村-009", pairing.cadre.name, "2026-01-01"]]
    source = workbook(tmp_path / "r.xlsx", ["户编号", "帮扶责任人", "开始日期"], rows)
    (message,) = _messages(_import(office, "pairing_roster", source))
    assert message.startswith("第2行「帮扶责任人姓名」列：")
    assert "pairing" in message and twin.username in message
    assert Pairing.objects.count() == 0


def test_a_csv_with_numbers_excel_wrote_in_scientific_notation_is_refused(tmp_path, office, east):
    text = "户编号,村,户主姓名,户主身份证号\r\n3.70481E+16,东村,张三,3.70481E+17\r\n"
    path = tmp_path / "h.csv"
    path.write_bytes(text.encode("utf-8-sig"))
    messages = _messages(_import(office, "households", path))
    assert [m.split("：")[0] for m in messages] == ["第2行「户编号」列", "第2行「户主身份证号」列"]
    assert all("数字" in m for m in messages)


def test_a_monitoring_table_imports_what_the_register_keeps_and_names_the_rest(
    tmp_path, office, east
):
    headers = [
        "序号",
        "行政村",
        "户编号",
        "户主姓名",
        "证件号码",
        "家庭人口数",
        "监测对象类别",
        "风险类型",
        "纳入监测时间",
    ]
    rows = [[1, "东村", "东村-001", "张三", idn(1), 4, "脱贫不稳定户", "因病", "2024年5月"]]
    report = _import(
        office, "households", workbook(tmp_path / "m.xlsx", headers, rows, title="防返贫监测台账")
    )
    assert report.ok and Household.objects.get().size == 4
    assert report.unknown_headers == ["序号", "监测对象类别", "风险类型", "纳入监测时间"]
    assert (
        "以下列不属于本台账，已忽略：序号、监测对象类别、风险类型、纳入监测时间" in report.lines()
    )
