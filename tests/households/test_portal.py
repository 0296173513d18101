"""The registry in the portal: the households list, the household page, the member-change form
with its scoped picker, and the quality page's links and hints."""

import datetime

import pytest
from django.urls import reverse

from households import services
from households.models import Household, Member, MemberChange
from tests.households.conftest import idn
from visits.services import visit_record

D = datetime.date


def _households(village, n, prefix):
    return Household.objects.bulk_create(
        Household(number=f"{prefix}-{i:03d}", village=village, head_name=f"户主{i}")
        for i in range(2, n + 2)
    )


# --- the households list ----------------------------------------------------------------------


def test_the_list_searches_by_number_and_head_within_scope(
    client, east_cadre, east_household, west_household
):
    client.force_login(east_cadre)
    page = client.get(reverse("households:list")).content.decode()
    assert "东村-001" in page and "张三" in page and "西村-001" not in page
    page = client.get(reverse("households:list"), {"q": "张三"}).content.decode()
    assert "东村-001" in page
    # An out-of-scope household is not found by its number or head either.
    for text in ("西村-001", "李四"):
        page = client.get(reverse("households:list"), {"q": text}).content.decode()
        assert "/households/西村-001/" not in page and "没有符合条件的户" in page


def test_the_list_filters_by_village_and_status_and_pages(
    client, office, east, west, east_household, west_household
):
    _households(east, 60, "东村")
    Household.objects.filter(number="东村-002").update(status=Household.Status.OUT)
    client.force_login(office)
    page = client.get(reverse("households:list"), {"village": west.pk}).content.decode()
    assert "西村-001" in page and "东村-001" not in page
    page = client.get(reverse("households:list"), {"status": Household.Status.OUT}).content.decode()
    assert "东村-002" in page and "东村-003" not in page
    first = client.get(reverse("households:list"), {"village": east.pk}).content.decode()
    assert "共 61 户" in first and "东村-050" in first and "东村-051" not in first
    second = client.get(reverse("households:list"), {"village": east.pk, "page": 2})
    assert "东村-051" in second.content.decode()


def test_the_list_takes_a_constant_number_of_queries(
    client, office, east, django_assert_num_queries
):
    client.force_login(office)
    client.get(reverse("households:list"))  # the session and the scope's first read
    counts = []
    for size in (5, 80):
        _households(east, size, f"东{size}")
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("households:list")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_num_queries(counts[0]):
        client.get(reverse("households:list"), {"q": "户主"})


def test_the_list_is_for_those_who_may_read_households(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("households:list")).status_code == 403


# --- the household page -----------------------------------------------------------------------


@pytest.fixture
def recorded(east_household, east_cadre, pairing, today):
    Member.objects.create(household=east_household, id_number=idn(1), name="张三", relation="户主")
    services.member_change_record(
        household=east_household,
        kind=MemberChange.Kind.BIRTH,
        name="张小宝",
        happened_on=D(2026, 11, 2),
        reported_on=D(2026, 11, 20),
        reported_by=east_cadre,
    )
    visit_record(
        household=east_household,
        cadre=pairing.cadre,
        kind="入户",
        on=D(2026, 11, 3),
        content="看望老人，了解生产生活情况",
    )
    return east_household


def test_the_household_page_shows_its_register_and_history(client, east_cadre, recorded):
    client.force_login(east_cadre)
    page = client.get(reverse("dashboard:household", args=[recorded.number])).content.decode()
    for shown in ("家庭成员", "张三", "人口变动", "张小宝", "新生", "2026-11-02", "结对帮扶"):
        assert shown in page, shown
    assert "2026-01-01" in page  # the pairing's first day
    assert "入户走访" in page and "看望老人" in page and "录入时间" in page


def test_the_household_page_is_404_out_of_scope(client, west_cadre, recorded):
    client.force_login(west_cadre)
    response = client.get(reverse("dashboard:household", args=[recorded.number]))
    assert response.status_code == 404


@pytest.mark.cold
def test_the_household_page_takes_a_constant_number_of_queries(
    client, east_cadre, recorded, pairing, django_assert_num_queries
):
    client.force_login(east_cadre)
    url = reverse("dashboard:household", args=[recorded.number])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for day in range(4, 20):
        visit_record(
            household=recorded,
            cadre=pairing.cadre,
            kind="电话",
            on=D(2026, 10, day),
            content="电话询问近况，无新问题",
        )
        Member.objects.create(household=recorded, id_number=idn(day * 2 + 1), name=f"人{day}")
    with django_assert_num_queries(len(before)):
        client.get(url)


# --- the member-change form -----------------------------------------------------------------


def test_a_change_is_recorded_by_picking_the_household_by_number(
    client, east_cadre, east_household, today
):
    client.force_login(east_cadre)
    form = client.get(reverse("households:member_change_new")).content.decode()
    assert "姓名" in form and "名称" not in form
    assert 'name="household"' in form and 'type="date"' in form
    response = client.post(
        reverse("households:member_change_new"),
        {
            "household": "东村-001 张三 东村",  # as the suggestion shows it
            "kind": "新生",
            "name": "张二宝",
            "happened_on": "2026-11-25",
            "reported_on": "2026-11-30",
        },
    )
    assert response.status_code == 302
    change = MemberChange.objects.get(name="张二宝")
    assert change.household == east_household and change.reported_by == east_cadre
    east_household.refresh_from_db()
    assert east_household.size == 2


def test_the_picker_takes_a_head_name_and_refuses_out_of_scope(
    client, east_cadre, east_household, west_household, today
):
    client.force_login(east_cadre)
    data = {"kind": "新生", "name": "宝", "happened_on": "2026-11-25", "reported_on": "2026-11-30"}
    response = client.post(reverse("households:member_change_new"), {**data, "household": "张三"})
    assert response.status_code == 302
    for text in ("西村-001", "李四"):
        response = client.post(
            reverse("households:member_change_new"), {**data, "name": "宝2", "household": text}
        )
        page = response.content.decode()
        assert (
            response.status_code == 200
            and "您所在的村没有" in page
            and "西村-001"
            not in page[page.index("errorlist") :].split("</ul>")[0].replace(text, "")
        )
    assert not MemberChange.objects.filter(name="宝2").exists()


def test_the_suggestions_show_households_in_scope_only(
    client, east_cadre, east_household, west_household
):
    client.force_login(east_cadre)
    found = client.get(reverse("households:suggest"), {"q": "村-00"}).json()["results"]
    assert [r["value"] for r in found] == ["东村-001"]
    assert client.get(reverse("households:suggest"), {"q": "李四"}).json()["results"] == []


def test_a_refused_change_says_why_and_writes_nothing(client, east_cadre, east_household, today):
    client.force_login(east_cadre)
    response = client.post(
        reverse("households:member_change_new"),
        {
            "household": "东村-001",
            "kind": "死亡",
            "name": "无此人",
            "happened_on": "2026-11-25",
            "reported_on": "2026-11-01",
        },
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not MemberChange.objects.exists()


# --- the quality page -------------------------------------------------------------------------


def test_a_newborn_without_id_is_an_expected_size_mismatch_with_a_hint(
    client, east_cadre, recorded
):
    client.force_login(east_cadre)
    page = client.get(reverse("households:quality")).content.decode()
    assert f'href="?village={recorded.village_id}#check-2"' in page  # the count is a link
    detail = client.get(
        reverse("households:quality"), {"village": recorded.village_id}
    ).content.decode()
    assert reverse("dashboard:household", args=[recorded.number]) in detail
    assert "尚无身份证号" in detail
