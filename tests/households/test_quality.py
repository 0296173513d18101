"""Data-quality checks per village, and the page 扶贫办 and village cadres read them on."""

import datetime

from households import selectors
from households.models import Member
from tests.households.conftest import idn

D = datetime.date
AS_OF = D(2026, 9, 1)


ADULT = D(1980, 5, 17)


def _member(household, n, birth=ADULT, **fields):
    return Member.objects.create(
        household=household, id_number=idn(n, birth), name=f"人{n}", **fields
    )


def test_an_id_number_in_two_households_is_found(office, east_household, west_household):
    _member(east_household, 1)
    Member.objects.create(
        household=west_household, id_number=idn(1), name="旧", active=False, left_on=D(2026, 1, 1)
    )
    assert selectors.duplicate_id_members(user=office).count() == 0  # left: history, not a finding
    west_household.head_id_number = idn(1)
    west_household.save()
    found = selectors.duplicate_id_members(user=office)
    assert [(m.household.number, m.id_number) for m in found] == [("东村-001", idn(1))]


def test_household_size_against_the_members(office, east_household, west_household):
    _member(east_household, 1)
    _member(east_household, 3, active=False, left_on=D(2026, 1, 1))
    _member(west_household, 5)
    west_household.size = 2
    west_household.save()
    assert [(h.number, h.size, h.counted) for h in selectors.size_mismatches(user=office)] == [
        ("西村-001", 2, 1)
    ]


def test_school_age_is_six_to_eighteen_by_the_birth_date_in_the_id(office, east_household):
    _member(east_household, 1, birth=D(2020, 9, 1))  # 6 today: school age
    _member(east_household, 3, birth=D(2020, 9, 2))  # 6 tomorrow: not yet
    _member(east_household, 5, birth=D(2007, 9, 2))  # 18 until tomorrow
    _member(east_household, 7, birth=D(2007, 9, 1))  # 19 today: too old
    _member(east_household, 9, birth=D(2012, 1, 1), schooling="初中")  # has a status
    found = selectors.school_age_without_status(user=office, as_of=AS_OF)
    assert sorted(m.birth_date for m in found) == [D(2007, 9, 2), D(2020, 9, 1)]


def test_four_haves_are_flagged(office, east_household):
    _member(east_household, 1, has_vehicle=True)
    _member(east_household, 3, has_business=True, active=False, left_on=D(2026, 1, 1))
    _member(east_household, 5)
    assert [m.id_number for m in selectors.four_haves(user=office)] == [idn(1)]


def test_checks_are_scoped_to_the_users_villages(
    east_cadre, west_cadre, east_household, west_household
):
    _member(east_household, 1, has_vehicle=True)
    _member(west_household, 3, has_public_post=True)
    assert [m.household.number for m in selectors.four_haves(user=east_cadre)] == ["东村-001"]
    assert [m.household.number for m in selectors.four_haves(user=west_cadre)] == ["西村-001"]


def test_the_summary_counts_each_check_per_village(
    office, east_household, west_household, django_assert_max_num_queries
):
    _member(east_household, 1, has_vehicle=True)
    east_household.size = 3
    east_household.save()
    office.groups.all()
    # Queries: scope (4), villages (1), one grouped count per check (4).
    with django_assert_max_num_queries(9):
        summary = selectors.quality_summary(user=office, as_of=AS_OF)
    assert {v["name"]: v["counts"] for v in summary} == {"东村": [0, 1, 0, 1], "西村": [0, 1, 0, 0]}


# --- the page -------------------------------------------------------------------------------


def test_the_page_lists_the_cadres_villages_only(
    client, east_cadre, east_household, west_household, west
):
    _member(east_household, 1, has_town_housing=True)
    client.force_login(east_cadre)
    page = client.get("/households/quality/").content.decode()
    assert "建档立卡数据核查" in page and "东村" in page and "西村" not in page
    detail = client.get(
        f"/households/quality/?village={east_household.village_id}"
    ).content.decode()
    assert "待核查的“四有人员”" in detail and idn(1) in detail and "城镇商品房" in detail
    assert client.get(f"/households/quality/?village={west.pk}").status_code == 404


def test_the_page_is_for_those_who_keep_the_registry(client, cast):
    for name, user in cast.items():
        client.force_login(user)
        status = client.get("/households/quality/").status_code
        assert status == (200 if name in ("office", "east_cadre", "west_cadre") else 403), name
    client.logout()
    assert client.get("/households/quality/").status_code == 302


def test_heading_another_household_is_found_but_heading_ones_own_is_not(
    office, east_cadre, east_household, west_household
):
    _member(east_household, 1)
    _member(east_household, 3)
    east_household.head_id_number = idn(3)  # heads the household they count in: fine
    east_household.save()
    west_household.head_id_number = idn(1)  # counts in 东村-001, registered as 西村-001's head
    west_household.save()
    found = selectors.duplicate_id_members(user=office)
    assert [(m.household.number, m.id_number) for m in found] == [("东村-001", idn(1))]
    # A village cadre sees their member flagged, though the other household is not theirs.
    mine = selectors.duplicate_id_members(user=east_cadre)
    assert [(m.household.number, m.id_number) for m in mine] == [("东村-001", idn(1))]
