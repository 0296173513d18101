"""Security, round two: personal data (issue 13: H1, H2, H3, M3, L1). One regression test per
hole, named after it; the write walk (M3, build point 6) is in test_access_walk.py.

The cast (tests/conftest.py) around 东村-001 (张三, paired with `pairing`) and 西村-001 (李四),
each with a head and a member whose ID numbers are recorded in full."""

import datetime
import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import FieldDoesNotExist
from django.test import RequestFactory

from households.models import HelpMeasure, HelpPlan, Member
from tests.conftest import workbook
from tests.forms import shown_version
from tests.households.conftest import TITLE, idn
from tests.ledger_admin import upload
from tests.security.test_access_walk import ROLES
from xigang.admin import ScopedAdmin

# Born on different days: a digit run of area and birth date tells the four apart.
EAST_HEAD, EAST_MEMBER, WEST_HEAD, WEST_MEMBER = (
    idn(n, datetime.date(1960 + n, n, 10 + n)) for n in (1, 2, 3, 4)
)


@pytest.fixture
def registry(east_household, west_household):
    for household, head, member, phone in (
        (east_household, EAST_HEAD, EAST_MEMBER, "13800000001"),
        (west_household, WEST_HEAD, WEST_MEMBER, "13900000002"),
    ):
        household.head_id_number, household.phone = head, phone
        household.save()
        Member.objects.create(household=household, id_number=head, name=household.head_name)
        Member.objects.create(household=household, id_number=member, name="成员")
    return east_household, west_household


def _changelists():
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, ScopedAdmin):
            yield model, f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


# --- H1: masked ID numbers read back through admin URL lookups ---------------------------------

# Paths to the personal or out-of-scope data of each model, where the model has them.
SENSITIVE = [
    "id_number",
    "head_id_number",
    "phone",
    "mobile",
    "household",
    "household__head_id_number",
    "household__phone",
    "plan__household",
    "village",
    "department",
    "cadre__mobile",
]


def _attempts(model, west):
    """(lookup, value) pairs that, let through, would pick rows by data the user may not read."""
    for path in SENSITIVE:
        try:
            last = get_fields_from_path(model, path)[-1]
        except (FieldDoesNotExist, Exception):  # noqa: B014 - the path is not on this model
            continue
        other = str(west.pk) if last.is_relation else WEST_HEAD
        for lookup, value in (
            ("startswith", WEST_HEAD[:10]),
            ("regex", f"^{WEST_HEAD[:12]}"),
            ("contains", WEST_HEAD[6:14]),
            ("in", other),
            ("gt", "0"),
        ):
            yield f"{path}__{lookup}", value


def _full_numbers_hidden_from(role):
    """The ID numbers the role may not read in full: all but its own village's for the keepers
    (扶贫办 sees every one; a village cadre their village's), every one for the others."""
    if role == "office":
        return []
    if role == "east_cadre":
        return [WEST_HEAD, WEST_MEMBER]
    if role == "west_cadre":
        return [EAST_HEAD, EAST_MEMBER]
    return [EAST_HEAD, EAST_MEMBER, WEST_HEAD, WEST_MEMBER]


@pytest.mark.parametrize("role", ROLES)
def test_h1_no_url_lookup_reveals_a_row_by_masked_or_out_of_scope_data(
    client, cast, registry, role
):
    """Every scoped changelist, as every role, with __startswith, __regex, __contains, __in and
    __gt on each personal or out-of-scope field: the same answer as a refused lookup (the list
    again, unfiltered, ?e=1), whatever the value; no page shows a number the role may not read."""
    _east, west = registry
    user = cast[role]
    client.force_login(user)
    walked = 0
    for model, url in _changelists():
        model_admin = admin.site._registry[model]
        request = RequestFactory().get(url)
        request.user = user
        if not (user.is_staff and model_admin.has_view_or_change_permission(request)):
            continue  # the role does not reach this list (test_access_walk.py)
        refused = client.get(url + "?no_such_field__regex=1")
        assert (refused.status_code, refused["Location"]) == (302, url + "?e=1")
        attempts = list(_attempts(model, west))
        for lookup, value in attempts:
            # the view itself, without the middleware the client adds to every request
            request = RequestFactory().get(url, {lookup: value})
            request.user = user
            response = model_admin.changelist_view(request)
            assert response.status_code == 302, (role, url, lookup)
            assert response["Location"] == refused["Location"], (role, url, lookup)
            assert not response.content, (role, url, lookup)
            walked += 1
        if not attempts or not _full_numbers_hidden_from(role):
            continue  # no personal data in this list, or none hidden from the role
        page = client.get(url + "?e=1").content.decode()
        for number in _full_numbers_hidden_from(role):
            assert number not in page, (role, url)
            assert not re.search(number[:14], page), (role, url)  # nor a digit run of it
    assert walked or role == "outsider"


def test_h1_the_office_still_filters_and_searches_as_declared(client, office, registry):
    east, west = registry
    client.force_login(office)
    members = "/admin/households/member/"
    by_village = client.get(members, {"household__village__id__exact": east.village_id})
    assert by_village.status_code == 200
    assert {m.household for m in by_village.context["cl"].result_list} == {east}
    assert client.get(members, {"q": WEST_MEMBER}).context["cl"].result_list[0].name == "成员"
    changes = "/admin/households/memberchange/"
    assert client.get(changes, {"happened_on__year": "2026"}).status_code == 200
    assert client.get("/admin/visits/problem/", {"state": "late"}).status_code == 200
    assert client.get(members, {"id_number__startswith": "370481"})["Location"].endswith("?e=1")


# --- H2: a household out of scope named by the ID number typed --------------------------------

GENERIC = "该身份证号已登记在其他户，请联系扶贫办"
M_HEADERS = ["身份证号", "户编号", "姓名", "与户主关系", "健康状况", "残疾等级", "劳动能力"]
C_HEADERS = ["户编号", "身份证号", "姓名", "变动类型", "变动日期", "上报日期"]


def _preview(client, model, path):
    return upload(client, model, path).content.decode()


def test_h2_import_previews_do_not_name_a_household_out_of_scope(
    client, tmp_path, east_cadre, registry
):
    client.force_login(east_cadre)
    members = workbook(
        tmp_path / "m.xlsx",
        M_HEADERS,
        [[WEST_MEMBER, "东村-001", "王五", "其他", None, None, None]],
        title=TITLE,
    )
    page = _preview(client, "households_member", members)
    assert GENERIC in page and "西村-001" not in page
    changes = workbook(
        tmp_path / "c.xlsx",
        C_HEADERS,
        [["东村-001", WEST_MEMBER, "王五", "迁入", "2026-03-01", "2026-03-02"]],
        title=TITLE,
    )
    page = _preview(client, "households_memberchange", changes)
    assert GENERIC in page and "西村-001" not in page


@pytest.mark.usefixtures("today")
def test_h2_the_member_forms_do_not_name_a_household_out_of_scope(
    client, east_cadre, pairing, registry
):
    east, _west = registry
    counted = Member.objects.count()
    change = {
        "household": east.pk,
        "kind": "迁入",
        "name": "王五",
        "id_number": WEST_MEMBER,
        "happened_on": "2026-03-01",
        "reported_on": "2026-03-02",
    }
    for user in (east_cadre, pairing):
        client.force_login(user)
        page = client.post("/admin/households/memberchange/add/", change).content.decode()
        assert GENERIC in page and "西村-001" not in page, user
    client.force_login(east_cadre)
    member = {"household": east.pk, "id_number": WEST_MEMBER, "name": "王五", "relation": "其他"}
    page = client.post("/admin/households/member/add/", {**member, "active": "on"}).content.decode()
    assert "西村-001" not in page  # the model's constraint answers first, naming nothing
    assert Member.objects.count() == counted


def test_h2_the_office_is_still_told_which_household(client, office, registry):
    east, _west = registry
    client.force_login(office)
    change = {"household": east.pk, "kind": "迁入", "name": "王五", "id_number": WEST_MEMBER}
    change |= {"happened_on": "2026-03-01", "reported_on": "2026-03-02"}
    page = client.post("/admin/households/memberchange/add/", change).content.decode()
    assert "该身份证号已在「西村-001」户在册" in page


# --- H3: add forms print any household put in the URL -----------------------------------------

ADD_FORMS = {
    "pairing": ["visits/visit", "households/memberchange", "households/helpplan"],
    "east_cadre": [
        "households/member",
        "households/memberchange",
        "households/helpplan",
        "households/assessment",
        "visits/problem",
        "visits/emergencycase",
    ],
}


@pytest.mark.usefixtures("today")
def test_h3_add_forms_do_not_name_a_household_given_in_the_url_out_of_scope(client, cast, registry):
    east, west = registry
    for role, forms in ADD_FORMS.items():
        client.force_login(cast[role])
        for form in forms:
            url = f"/admin/{form}/add/"
            params = {"household": west.pk, "cadre": cast["west_cadre"].cadre.pk}
            page = client.get(url, params).content.decode()
            assert "西村-001" not in page and "李四" not in page, (role, form)
            assert "west_cadre" not in page, (role, form)
            page = client.get(url, {"household": east.pk}).content.decode()
            assert "东村-001" in page, (role, form)  # a household in scope is still named


def test_h3_autocomplete_offers_only_rows_in_scope(client, west_cadre, east, west):
    from django.contrib.auth.models import Permission

    west_cadre.user_permissions.add(Permission.objects.get(codename="view_villageassignment"))
    client.force_login(west_cadre)
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "duties", "model_name": "villageassignment", "field_name": "village"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["西村"]


# --- M3: a department changes another department's help measures ------------------------------


def test_m3_a_department_changes_only_its_own_help_measures(client, dept, east_household):
    from duties.models import Department

    plan = HelpPlan.objects.create(household=east_household, year=2026)
    ours, theirs = (
        HelpMeasure.objects.create(
            plan=plan, kind="临时救助", department=Department.objects.get(name=name)
        )
        for name in ("民政科", "残联")
    )
    client.force_login(dept)
    url = "/admin/households/helpmeasure/{}/change/"
    # another department's measure is not even read: answered like a missing one
    assert client.get(url.format(theirs.pk)).status_code == 302
    post = {"plan": plan.pk, "kind": "临时救助", "status": "in_progress", "amount": "500"}
    client.post(url.format(theirs.pk), {**post, "department": theirs.department_id})
    theirs.refresh_from_db()
    assert theirs.status == "planned" and theirs.amount is None
    version = shown_version(client, url.format(ours.pk))
    done = {**post, "status": "done", "department": ours.department_id, "_row_version": version}
    refused = client.post(url.format(ours.pk), done)  # carried out only with its evidence
    assert refused.status_code == 200 and "佐证" in refused.content.decode()
    saved = client.post(url.format(ours.pk), {**done, "status": "in_progress"})
    assert saved.status_code == 302
    ours.refresh_from_db()
    assert ours.status == "in_progress" and ours.amount == 500


# --- L1: village names in filters, "you may not change this household" ------------------------


@pytest.mark.parametrize("role", ["east_cadre", "pairing", "dept"])
def test_l1_no_changelist_filter_names_a_village_out_of_scope(client, cast, registry, role):
    client.force_login(cast[role])
    for _model, url in _changelists():
        response = client.get(url)
        if response.status_code == 200:
            assert "西村" not in response.content.decode(), (role, url)


def test_l1_the_office_filters_by_every_village(client, office, registry):
    client.force_login(office)
    page = client.get("/admin/households/member/").content.decode()
    assert "东村" in page and "西村" in page


def test_l1_a_household_number_out_of_scope_is_not_confirmed(
    client, tmp_path, east_cadre, registry
):
    from tests.households.test_ledgers import H_HEADERS, _household_row, _import

    def errors(*rows):
        source = workbook(tmp_path / "h.xlsx", H_HEADERS, list(rows), title=TITLE)
        return [str(e) for e in _import(east_cadre, "households", source).errors]

    # 西村-001 exists, 西村-008 does not: the same answer
    assert errors(_household_row(9, "西村", 户编号="西村-001")) == errors(
        _household_row(8, "西村", 户编号="西村-008")
    )
    # into the cadre's own village: refused without saying where the number is kept
    assert errors(_household_row(7, "东村", 户编号="西村-001")) == [
        "第3行「户编号」列：该户编号不能使用，请联系扶贫办"
    ]
    client.force_login(east_cadre)
    page = client.post(
        "/admin/households/household/add/",
        {"number": "西村-001", "village": registry[0].village_id, "head_name": "王五", "size": 1}
        | {"category": "一般贫困户", "status": "未脱贫"}
        | {"members-TOTAL_FORMS": 0, "members-INITIAL_FORMS": 0},
    ).content.decode()
    assert "该户编号不能使用，请联系扶贫办" in page and "已存在" not in page
