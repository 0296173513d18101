"""The duties app in the admin: which screens each role opens, which rows it lists, and the
ledger import with its preview."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from duties.models import Cadre, Village
from tests.conftest import workbook
from tests.forms import shown_version
from tests.ledger_admin import confirm, preview_errors, upload
from xigang.scope import scope_of

pytestmark = pytest.mark.django_db

MODELS = [
    "article",
    "department",
    "duty",
    "partybranch",
    "village",
    "cadre",
    "villageassignment",
    "ruleparameter",
]
ALL = set(MODELS)
# role -> the duties changelists that open (the others answer 403)
OPENS = {
    "leader": ALL,
    "office": ALL,
    "inspector": ALL,
    "dept": {"article", "department", "duty", "village", "cadre"},
    "east_cadre": {"article", "duty", "village", "cadre"},
    "west_cadre": {"article", "duty", "village", "cadre"},
    "pairing": {"article", "duty"},
}
EVERY_CADRE = ["dept", "east_cadre", "inspector", "leader", "office", "pairing", "west_cadre"]
# role -> (villages listed, cadres listed)
ROWS = {
    "leader": (["东村", "西村"], EVERY_CADRE),
    "office": (["东村", "西村"], EVERY_CADRE),
    "inspector": (["东村", "西村"], EVERY_CADRE),
    "dept": ([], ["dept"]),
    "east_cadre": (["东村"], ["east_cadre", "pairing"]),
    "west_cadre": (["西村"], ["west_cadre"]),
}


def _changelist(client, model):
    return client.get(reverse(f"admin:duties_{model}_changelist"))


def test_each_role_opens_exactly_its_changelists(client, cast):
    for name, opens in OPENS.items():
        client.force_login(cast[name])
        status = {model: _changelist(client, model).status_code for model in MODELS}
        assert status == {m: 200 if m in opens else 403 for m in MODELS}, name


def test_a_user_without_a_role_is_sent_to_the_sign_in_page(client, cast):
    client.force_login(cast["outsider"])
    response = _changelist(client, "village")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_each_role_lists_exactly_its_villages_and_cadres(client, cast):
    for name, (villages, cadres) in ROWS.items():
        client.force_login(cast[name])
        response = _changelist(client, "village")
        assert sorted(v.name for v in response.context["cl"].result_list) == villages, name
        for village in {"东村", "西村"} - set(villages):
            assert village not in response.content.decode(), name
        response = _changelist(client, "cadre")
        listed = sorted(c.user.username for c in response.context["cl"].result_list)
        assert listed == cadres, name


def test_another_villages_page_answers_like_a_missing_one(client, east_cadre, west):
    client.force_login(east_cadre)
    response = client.get(reverse("admin:duties_village_change", args=[west.pk]))
    # The admin redirects to its index with "does not exist" for a missing object.
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_the_cadre_changelist_costs_a_fixed_number_of_queries(
    client, cast, django_assert_max_num_queries
):
    from duties.organisation.services import cadre_save

    for i in range(20):  # more rows, more units, more roles: the same queries
        unit = cast["east_cadre"].cadre.village if i % 2 else cast["dept"].cadre.department
        cadre_save(username=f"extra{i}", name=f"干部{i}", unit=unit, roles=["村干部", "部门"])
    client.force_login(cast["office"])
    # session, user, permissions (user, groups), scope (groups, department grants, cadre),
    # the department, village and role filters' choices, count, filtered count, the rows with
    # user/department/village, the groups of the listed users, and the session's update by the
    # security middleware (in a savepoint: 3)
    with django_assert_max_num_queries(17):
        response = _changelist(client, "cadre")
    page = response.content.decode()
    assert "east_cadre" in page and "干部19" in page
    for header in ["姓名", "用户名", "部门", "村（居）", "职务", "手机号", "角色"]:
        assert f">{header}<" in page, header


def test_the_article_is_read_only_even_for_the_office(client, office):
    client.force_login(office)
    url = reverse("admin:duties_article_change", args=[39])
    page = client.get(url).content.decode()
    assert "每季度入户不少于1次" in page
    assert 'name="_save"' not in page
    assert client.post(url, {"text": "改写"}).status_code == 403


def test_the_duty_page_shows_the_full_text_of_its_article(client, office):
    from duties.models import Duty

    duty = Duty.objects.filter(article_id=13).first()
    client.force_login(office)
    page = client.get(reverse("admin:duties_duty_change", args=[duty.pk])).content.decode()
    assert "第十三条" in page
    assert "西岗学区" in page


def test_the_article_page_lists_its_duties(client, dept):
    client.force_login(dept)
    page = client.get(reverse("admin:duties_article_change", args=[13])).content.decode()
    assert page.count("西岗学区") >= 5


# --- the ledger import in the admin -----------------------------------------------------------


def test_the_office_previews_then_confirms_a_cadre_import(client, office, east, tmp_path):
    client.force_login(office)
    changelist = _changelist(client, "cadre").content.decode()
    assert "导入台账" in changelist and "导出台账" in changelist
    path = workbook(
        tmp_path / "c.xlsx",
        ["用户名", "姓名", "单位", "角色"],
        [["zhou", "周书记", "东村", "村干部"]],
        title="西岗镇干部台账",
    )
    preview = upload(client, "duties_cadre", path)
    page = preview.content.decode()
    assert "检查完成，未写入数据：新增1条" in page
    assert not Cadre.objects.filter(user__username="zhou").exists()
    response = confirm(client, "duties_cadre", preview)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:duties_cadre_changelist")
    zhou = get_user_model().objects.get(username="zhou")
    assert zhou.cadre.village == east and scope_of(zhou).village_ids == {east.pk}
    page = client.get(response["Location"]).content.decode()
    assert "导入完成：新增1条" in page and "周书记" in page


def test_the_preview_shows_each_error_with_row_and_column(client, office, tmp_path):
    client.force_login(office)
    path = workbook(
        tmp_path / "v.xlsx", ["村名称", "包村干部"], [["张庄村", None], ["李楼村", "ghost"]]
    )
    response = upload(client, "duties_village", path)
    page = response.content.decode()
    assert "拒绝" in page and "ghost" in page
    assert "确认导入" not in page  # nothing to confirm
    assert preview_errors(response)[0][:2] == (3, "包村干部")
    assert not Village.objects.exists()


def test_the_import_page_prints_its_title_once_and_names_the_columns(client, office):
    client.force_login(office)
    page = client.get(reverse("admin:duties_village_import")).content.decode()
    assert len(re.findall(r"<h1>", page)) == 1
    assert "列（★为必填）" in page and "村名称★、类型" in page


def test_a_village_cadre_may_not_import_or_even_see_the_button(client, east_cadre, tmp_path):
    client.force_login(east_cadre)
    assert "导入台账" not in _changelist(client, "village").content.decode()
    path = workbook(tmp_path / "v.xlsx", ["村名称"], [["张庄村"]])
    assert upload(client, "duties_village", path).status_code == 403
    assert not Village.objects.filter(name="张庄村").exists()


def test_a_village_cadres_export_holds_only_its_village(client, east_cadre, west, tmp_path):
    import io

    import openpyxl

    client.force_login(east_cadre)
    response = client.post(reverse("admin:duties_village_export"), {"format": "0"})
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    names = [row[0].value for row in book.worksheets[0].iter_rows(min_row=4)]
    assert names == ["东村"]


# --- writes through the services --------------------------------------------------------------


def test_adding_a_cadre_in_the_admin_sets_groups_and_scope(client, office, civil_affairs):
    client.force_login(office)
    response = client.post(
        reverse("admin:duties_cadre_add"),
        {
            "username": "sun_mz",
            "name": "孙民政",
            "mobile": "13812345678",
            "department": civil_affairs.pk,
            "village": "",
            "title": "科员",
            "roles": ["部门"],
        },
    )
    assert response.status_code == 302, response.content.decode()
    sun = get_user_model().objects.get(username="sun_mz")
    assert list(sun.groups.values_list("name", flat=True)) == ["部门"]
    assert scope_of(sun).department_ids == {civil_affairs.pk}
    assert not sun.has_usable_password()


def test_a_cadre_with_two_units_is_refused_with_the_form_kept(client, office, east, civil_affairs):
    client.force_login(office)
    response = client.post(
        reverse("admin:duties_cadre_add"),
        {
            "username": "two_units",
            "name": "两头跑",
            "mobile": "",
            "department": civil_affairs.pk,
            "village": east.pk,
            "title": "",
        },
    )
    assert response.status_code == 200
    assert "两头跑" in response.content.decode()
    assert not get_user_model().objects.filter(username="two_units").exists()


def test_assigning_a_town_cadre_to_a_village_in_the_admin_grants_the_village(
    client, office, dept, east, west
):
    client.force_login(office)
    url = reverse("admin:duties_village_change", args=[east.pk])
    response = client.post(
        url,
        {
            "name": "东村",
            "kind": "村",
            "branch": east.branch_id,
            "villageassignment_set-TOTAL_FORMS": "1",
            "villageassignment_set-INITIAL_FORMS": "0",
            "villageassignment_set-MIN_NUM_FORMS": "0",
            "villageassignment_set-MAX_NUM_FORMS": "1000",
            "villageassignment_set-0-cadre": dept.cadre.pk,
            "villageassignment_set-0-village": east.pk,
            "_row_version": shown_version(client, url),
        },
    )
    assert response.status_code == 302, response.content.decode()
    dept = get_user_model().objects.get(pk=dept.pk)
    assert scope_of(dept).village_ids == {east.pk}


# --- every page opens ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["office", "superuser"])
def test_every_duties_admin_page_opens_in_chinese(client, office, east, dept, who):
    from duties.organisation.services import village_assignments_set

    village_assignments_set(village=east, cadres=[dept.cadre])
    user = office
    if who == "superuser":
        user = get_user_model().objects.create_superuser("root", password="Xx-secret-2026")
    client.force_login(user)
    pages = {
        "article": "条款",
        "department": "部门",
        "duty": "职责",
        "partybranch": "党总支",
        "village": "村（居）",
        "cadre": "干部",
        "villageassignment": "包村安排",
        "ruleparameter": "规则参数",
    }
    for model, title in pages.items():
        response = client.get(reverse(f"admin:duties_{model}_changelist") + "?q=东")
        assert response.status_code == 200, model
        assert title in response.content.decode(), model
        if model != "article" or who == "superuser":
            assert client.get(reverse(f"admin:duties_{model}_add")).status_code == 200, model
    for model, obj in [("village", east), ("cadre", dept.cadre)]:
        page = client.get(reverse(f"admin:duties_{model}_change", args=[obj.pk]))
        assert page.status_code == 200


# --- rule parameters (art. 44) ------------------------------------------------------------


def test_the_office_adds_a_rule_parameter_from_a_future_date(client, office, today):
    import datetime

    from duties.models import RuleParameter
    from duties.organisation.params import in_force

    start = today + datetime.timedelta(days=10)
    client.force_login(office)
    response = client.post(
        reverse("admin:duties_ruleparameter_add"),
        {
            "rule": "emergency.aid",
            "name": "days",
            "value": "5",
            "effective_from": start.isoformat(),
            "note": "县里新规定",
        },
    )
    assert response.status_code == 302
    assert in_force("emergency.aid", "days").on(start) == 5
    assert in_force("emergency.aid", "days").on(start - datetime.timedelta(days=1)) == 7
    # Not in force yet: it may still be corrected.
    parameter = RuleParameter.objects.get()
    url = reverse("admin:duties_ruleparameter_change", args=[parameter.pk])
    assert 'name="_save"' in client.get(url).content.decode()


@pytest.mark.usefixtures("today")
def test_a_rule_parameter_may_not_rewrite_the_past(client, office):
    import datetime

    from duties.models import RuleParameter

    client.force_login(office)
    for day in ("2020-01-01", "2026-11-30"):  # the past, and today
        response = client.post(
            reverse("admin:duties_ruleparameter_add"),
            {"rule": "emergency.aid", "name": "days", "value": "5", "effective_from": day},
        )
        assert response.status_code == 200
        assert "调整只能自今日（2026-11-30）之后的日期起生效" in response.content.decode()
    assert not RuleParameter.objects.exists()
    in_force = RuleParameter.objects.create(
        rule="emergency.aid", name="days", value=5, effective_from=datetime.date(2020, 1, 1)
    )
    url = reverse("admin:duties_ruleparameter_change", args=[in_force.pk])
    assert 'name="_save"' not in client.get(url).content.decode()
    assert client.post(url, {"value": "3"}).status_code == 403


def test_an_unknown_rule_parameter_is_refused_naming_the_known_ones(client, office, today):
    import datetime

    client.force_login(office)
    response = client.post(
        reverse("admin:duties_ruleparameter_add"),
        {
            "rule": "visit.home",
            "name": "days",
            "value": "5",
            "effective_from": (today + datetime.timedelta(days=1)).isoformat(),
        },
    )
    page = response.content.decode()
    assert "没有规则参数「visit.home days」" in page and "emergency.aid days" in page


def test_a_read_only_cadre_page_shows_the_account_and_roles(client, east_cadre, pairing):
    client.force_login(east_cadre)
    page = client.get(reverse("admin:duties_cadre_change", args=[pairing.cadre.pk]))
    text = page.content.decode()
    assert "pairing" in text and "帮扶责任人" in text
    assert 'name="_save"' not in text


def test_an_assignment_added_and_deleted_in_its_own_admin_grants_and_revokes(
    client, office, dept, east
):
    from duties.models import VillageAssignment

    client.force_login(office)
    response = client.post(
        reverse("admin:duties_villageassignment_add"),
        {"village": east.pk, "cadre": dept.cadre.pk},
    )
    assert response.status_code == 302
    assert scope_of(get_user_model().objects.get(pk=dept.pk)).village_ids == {east.pk}
    assignment = VillageAssignment.objects.get()
    response = client.post(
        reverse("admin:duties_villageassignment_delete", args=[assignment.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not VillageAssignment.objects.exists()
    assert scope_of(get_user_model().objects.get(pk=dept.pk)).village_ids == set()
