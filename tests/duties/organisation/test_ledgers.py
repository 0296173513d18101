"""The `villages` and `cadres` ledgers: import, errors, dry runs, scope, exports, round trips."""

import openpyxl
import pytest
from django.contrib.auth import get_user_model

from duties.models import Cadre, PartyBranch, Village, VillageAssignment
from duties.organisation.ledgers import CadreLedger, VillageLedger
from duties.organisation.services import cadre_save
from tests.conftest import make_user, workbook
from xigang import roles
from xigang.ledgers import LedgerError, export_ledger, import_ledger
from xigang.scope import scope_of

pytestmark = pytest.mark.django_db

VILLAGE_HEADERS = ["村名称", "类型", "党总支", "包村干部"]
CADRE_HEADERS = ["用户名", "姓名", "手机号", "单位", "职务", "角色"]


@pytest.fixture
def town_cadre(civil_affairs):
    return make_user("wang_mz", roles.DEPARTMENT, civil_affairs, name="王民政").cadre


def _rows(path):
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]


# --- villages ---------------------------------------------------------------------------------


def test_it_imports_villages_below_a_merged_title_row(tmp_path, office, town_cadre):
    path = workbook(
        tmp_path / "v.xlsx",
        VILLAGE_HEADERS,
        [["张庄村", "村", "前进党总支", "wang_mz"], ["西岗居", "居", "前进党总支", None]],
        title="西岗镇村（居）台账",
    )
    report = import_ledger(VillageLedger(office), path)
    assert (report.created, report.updated, report.unchanged, report.errors) == (2, 0, 0, [])
    zhang = Village.objects.get(name="张庄村")
    assert zhang.branch.name == "前进党总支"
    assert Village.objects.get(name="西岗居").kind == Village.Kind.COMMUNITY
    assert PartyBranch.objects.filter(name="前进党总支").count() == 1
    # The 包村干部 now reaches the village's rows.
    assert [a.cadre for a in VillageAssignment.objects.filter(village=zhang)] == [town_cadre]
    assert zhang.pk in scope_of(get_user_model().objects.get(username="wang_mz")).village_ids


def test_it_updates_an_existing_village_by_its_name(tmp_path, office, east, town_cadre):
    path = workbook(tmp_path / "v.xlsx", ["村名称", "包村干部"], [["东村", "wang_mz"]])
    report = import_ledger(VillageLedger(office), path)
    assert (report.created, report.updated) == (0, 1)
    east.refresh_from_db()
    assert east.branch.name == "西岗党总支"  # a column not in the file is left alone
    assert list(east.assigned_cadres.all()) == [town_cadre.pk and town_cadre]


def test_a_bad_row_refuses_the_whole_file_naming_row_and_column(tmp_path, office, chinese):
    path = workbook(
        tmp_path / "v.xlsx",
        VILLAGE_HEADERS,
        [["张庄村", "村", None, None], ["李楼村", "镇", None, "nobody"]],
        title="西岗镇村（居）台账",
    )
    report = import_ledger(VillageLedger(office), path)
    assert not Village.objects.filter(name="张庄村").exists()
    messages = [str(e) for e in report.errors]
    # one pass: the cell error and the unknown cadre of the same row come together
    assert messages == [
        "第4行「类型」列：「镇」不在可选值中：村 / 居",
        "第4行「包村干部」列：没有用户名为「nobody」的干部",
    ]
    assert "拒绝" in report.summary()


def test_an_unknown_assigned_cadre_names_row_and_column(tmp_path, office, chinese):
    path = workbook(tmp_path / "v.xlsx", VILLAGE_HEADERS, [["张庄村", "村", None, "nobody、wang"]])
    report = import_ledger(VillageLedger(office), path)
    assert [str(e) for e in report.errors] == [
        "第2行「包村干部」列：没有用户名为「nobody」、「wang」的干部"
    ]
    assert not Village.objects.exists()


def test_a_village_named_twice_in_one_file_is_refused(tmp_path, office, chinese):
    path = workbook(tmp_path / "v.xlsx", VILLAGE_HEADERS, [["张庄村"], ["张庄村"]])
    report = import_ledger(VillageLedger(office), path)
    assert [str(e) for e in report.errors] == ["第3行「村名称」列：「张庄村」已在第2行出现"]


def test_a_missing_required_header_refuses_the_file_naming_it(tmp_path, office, chinese):
    path = workbook(tmp_path / "v.xlsx", ["名称", "类型"], [["张庄村", "村"]])
    with pytest.raises(LedgerError, match="缺少必填列：村名称"):
        import_ledger(VillageLedger(office), path)


def test_a_dry_run_writes_nothing(tmp_path, office):
    path = workbook(tmp_path / "v.xlsx", VILLAGE_HEADERS, [["张庄村", "村", "新党总支", None]])
    report = import_ledger(VillageLedger(office), path, dry_run=True)
    assert (report.created, report.written) == (1, False)
    assert not Village.objects.exists()
    assert not PartyBranch.objects.filter(name="新党总支").exists()


def test_a_village_cadre_may_not_import_villages(tmp_path, east_cadre, chinese):
    path = workbook(tmp_path / "v.xlsx", VILLAGE_HEADERS, [["张庄村"]])
    with pytest.raises(LedgerError, match="没有导入台账"):
        import_ledger(VillageLedger(east_cadre), path)


def test_the_villages_export_lists_exactly_the_users_villages(tmp_path, east_cadre, west, office):
    export_ledger(VillageLedger(east_cadre), tmp_path / "mine.xlsx")
    assert [r[0] for r in _rows(tmp_path / "mine.xlsx")] == ["村名称", "东村"]
    export_ledger(VillageLedger(office), tmp_path / "all.xlsx")
    assert [r[0] for r in _rows(tmp_path / "all.xlsx")] == ["村名称", "东村", "西村"]


def test_villages_round_trip_unchanged(tmp_path, office, east, west, town_cadre):
    from duties.organisation.services import village_assignments_set

    village_assignments_set(village=east, cadres=[town_cadre, office.cadre])
    export_ledger(VillageLedger(office), tmp_path / "v.xlsx")
    report = import_ledger(VillageLedger(office), tmp_path / "v.xlsx")
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 2, [])


def test_planning_a_village_file_costs_the_same_queries_for_any_number_of_rows(
    tmp_path, office, town_cadre, django_assert_max_num_queries
):
    rows = [[f"村{i:03d}", "村", f"党总支{i % 3}", "wang_mz"] for i in range(200)]
    path = workbook(tmp_path / "v.xlsx", VILLAGE_HEADERS, rows)
    office = get_user_model().objects.get(pk=office.pk)
    # permissions (user, groups), villages, scope (groups, department grants, cadre),
    # villages in scope, cadres, assignments, and the savepoint pair
    with django_assert_max_num_queries(11):
        report = import_ledger(VillageLedger(office), path, dry_run=True)
    assert report.created == 200


# --- cadres -----------------------------------------------------------------------------------


def test_importing_a_cadre_creates_the_account_with_groups_and_scope(
    tmp_path, office, east, civil_affairs
):
    path = workbook(
        tmp_path / "c.xlsx",
        CADRE_HEADERS,
        [
            ["zhao_sj", "赵书记", "13912345678", "东村", "党支部书记", "村干部、帮扶责任人"],
            ["qian_mz", "钱民政", 13800138000, "民政科", None, "部门"],
        ],
        title="西岗镇干部台账",
    )
    report = import_ledger(CadreLedger(office), path)
    assert (report.created, report.errors) == (2, [])
    zhao = get_user_model().objects.get(username="zhao_sj")
    assert not zhao.has_usable_password()
    assert sorted(zhao.groups.values_list("name", flat=True)) == sorted(["村干部", "帮扶责任人"])
    assert zhao.cadre.village == east and zhao.cadre.title == "党支部书记"
    assert scope_of(zhao).village_ids == {east.pk}
    qian = get_user_model().objects.get(username="qian_mz")
    assert qian.cadre.mobile == "13800138000"  # a number cell read as text
    assert scope_of(qian).department_ids == {civil_affairs.pk}


def test_changing_a_cadres_unit_moves_its_scope(tmp_path, office, east_cadre, east, west):
    path = workbook(tmp_path / "c.xlsx", ["用户名", "单位"], [["east_cadre", "西村"]])
    report = import_ledger(CadreLedger(office), path)
    assert report.updated == 1
    user = get_user_model().objects.get(username="east_cadre")
    assert scope_of(user).village_ids == {west.pk}
    assert list(user.groups.values_list("name", flat=True)) == ["村干部"]  # roles kept


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        ("手机号", "1381234", "「1381234」不是以1开头的11位手机号码"),
        ("单位", "火星办", "「火星办」既不是部门也不是村（居）"),
        (
            "角色",
            "村干部、村长",
            "「村长」不是角色；角色有：镇领导、扶贫办、部门、村干部、帮扶责任人、纪检督查",
        ),
    ],
)
def test_a_bad_cadre_cell_refuses_the_file(tmp_path, office, chinese, header, value, message):
    row = {
        "用户名": "sun",
        "姓名": "孙某",
        "手机号": None,
        "单位": None,
        "职务": None,
        "角色": None,
    }
    row[header] = value
    path = workbook(
        tmp_path / "c.xlsx",
        CADRE_HEADERS,
        [["ok_one", "好人", None, None, None, None], list(row.values())],
        title="西岗镇干部台账",
    )
    report = import_ledger(CadreLedger(office), path)
    assert [str(e) for e in report.errors] == [f"第4行「{header}」列：{message}"]
    assert not Cadre.objects.filter(user__username="ok_one").exists()


def test_a_new_cadre_needs_a_name(tmp_path, office, chinese):
    path = workbook(tmp_path / "c.xlsx", CADRE_HEADERS, [["sun", None, None, None, None, "部门"]])
    report = import_ledger(CadreLedger(office), path)
    assert [str(e) for e in report.errors] == ["第2行「姓名」列：不能为空"]


def test_an_administrators_account_is_not_changed_by_a_ledger(tmp_path, office, chinese):
    get_user_model().objects.create_superuser("root", password="Xx-secret-2026")
    path = workbook(tmp_path / "c.xlsx", CADRE_HEADERS, [["root", "某人", None, None, None, None]])
    report = import_ledger(CadreLedger(office), path)
    assert report.errors and report.errors[0].header == "用户名"
    assert get_user_model().objects.get(username="root").is_staff


def test_the_cadres_export_lists_exactly_the_users_cadres(tmp_path, cast):
    export_ledger(CadreLedger(cast["east_cadre"]), tmp_path / "mine.xlsx")
    assert _rows(tmp_path / "mine.xlsx") == [
        ["用户名", "姓名", "手机号", "单位", "职务", "角色"],
        ["east_cadre", "east_cadre", None, "东村", None, "村干部"],
        ["pairing", "pairing", None, "东村", None, "帮扶责任人"],
    ]
    export_ledger(CadreLedger(cast["dept"]), tmp_path / "dept.xlsx")
    assert [r[0] for r in _rows(tmp_path / "dept.xlsx")][1:] == ["dept"]
    export_ledger(CadreLedger(cast["office"]), tmp_path / "all.xlsx")
    assert [r[0] for r in _rows(tmp_path / "all.xlsx")][1:] == sorted(
        ["dept", "east_cadre", "inspector", "leader", "office", "pairing", "west_cadre"]
    )


def test_a_pairing_cadre_may_not_export_cadres(tmp_path, pairing):
    with pytest.raises(LedgerError):
        export_ledger(CadreLedger(pairing), tmp_path / "c.xlsx")


def test_formula_like_text_is_exported_as_literal_text_and_round_trips(tmp_path, office, east):
    cadre_save(
        username="risky",
        name='=HYPERLINK("http://evil")',
        unit=east,
        roles=[roles.VILLAGE],
        title="-副主任",
    )
    export_ledger(CadreLedger(office), tmp_path / "c.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "c.xlsx").worksheets[0]
    row = next(r for r in sheet.iter_rows(min_row=4) if r[0].value == "risky")
    assert (row[1].value, row[1].data_type) == ('=HYPERLINK("http://evil")', "s")
    assert (row[4].value, row[4].data_type) == ("-副主任", "s")
    report = import_ledger(CadreLedger(office), tmp_path / "c.xlsx")
    assert (report.updated, report.errors) == (0, [])


def test_cadres_round_trip_unchanged(tmp_path, cast, east, town_cadre):
    office = cast["office"]
    export_ledger(CadreLedger(office), tmp_path / "c.xlsx")
    report = import_ledger(CadreLedger(office), tmp_path / "c.xlsx")
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 8, [])


def test_planning_a_cadre_file_costs_the_same_queries_for_any_number_of_rows(
    tmp_path, office, east, django_assert_max_num_queries
):
    rows = [[f"u{i:03d}", f"干部{i}", None, "东村", None, "村干部"] for i in range(200)]
    path = workbook(tmp_path / "c.xlsx", CADRE_HEADERS, rows)
    office = get_user_model().objects.get(pk=office.pk)
    # permissions (user, groups), users, their groups, scope (groups, cadre), cadres in
    # scope, departments, villages, and the savepoint pair
    with django_assert_max_num_queries(11):
        report = import_ledger(CadreLedger(office), path, dry_run=True)
    assert report.created == 200
