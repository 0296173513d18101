"""The registry in the admin: scope, masking per role, writes through the services."""

import datetime

import pytest

from households.models import Member, Pairing
from tests.households.conftest import idn

D = datetime.date


def _member(household):
    return Member.objects.create(household=household, id_number=idn(1), name="张三")


@pytest.mark.usefixtures("today")
def test_id_numbers_are_masked_for_roles_that_do_not_keep_the_registry(
    client, cast, east_household
):
    member = _member(east_household)
    masked = idn(1)[:6] + "********" + idn(1)[14:]
    for name in ("office", "east_cadre", "pairing", "leader", "inspector"):
        client.force_login(cast[name])
        listing = client.get("/admin/households/member/").content.decode()
        form = client.get(f"/admin/households/member/{member.pk}/change/").content.decode()
        assert "张三" in listing, name
        if name in ("office", "east_cadre"):
            assert idn(1) in listing and idn(1) in form, name
        else:
            assert idn(1) not in listing and masked in listing, name
            assert idn(1) not in form and masked in form, name


def test_a_village_cadre_does_not_see_another_villages_members(client, west_cadre, east_household):
    member = _member(east_household)
    client.force_login(west_cadre)
    assert "张三" not in client.get("/admin/households/member/").content.decode()
    assert client.get(f"/admin/households/member/{member.pk}/change/").status_code in (302, 404)


def test_an_overlapping_pairing_is_refused_on_the_form(client, office, east_household, pairing):
    client.force_login(office)
    response = client.post(
        "/admin/households/pairing/add/",
        {
            "household": east_household.pk,
            "cadre": pairing.cadre.pk,
            "start": "2026-03-01",
            "end": "",
        },
    )
    assert "一户同一时间只有一名帮扶责任人" in response.content.decode()
    assert Pairing.objects.count() == 1


def test_a_member_change_added_in_the_admin_updates_the_household(
    client, east_cadre, east_household
):
    client.force_login(east_cadre)
    response = client.post(
        "/admin/households/memberchange/add/",
        {
            "household": east_household.pk,
            "kind": "新生",
            "name": "张小宝",
            "id_number": idn(4, D(2026, 2, 1)),
            "happened_on": "2026-02-01",
            "reported_on": "2026-02-10",
        },
    )
    assert response.status_code == 302
    east_household.refresh_from_db()
    assert east_household.size == 2 and Member.objects.get(name="张小宝").active
    assert east_household.changes.get().reported_by == east_cadre


def test_the_household_changelist_offers_the_ledger_and_pins_its_queries(
    client, office, east_household, django_assert_max_num_queries
):
    client.force_login(office)
    # Queries: session, user, scope (groups, grants, cadre), permissions, counts, the page of
    # households joined to their villages, the village filter's choices.
    with django_assert_max_num_queries(20):
        page = client.get("/admin/households/household/").content.decode()
    assert "导出台账" in page and "东村-001" in page


def test_a_pairing_cadre_cannot_report_a_change_for_a_household_not_theirs(
    client, pairing, east_household, west_household
):
    client.force_login(pairing)
    response = client.post(
        "/admin/households/memberchange/add/",
        {
            "household": west_household.pk,
            "kind": "新生",
            "name": "李小宝",
            "id_number": "",
            "happened_on": "2026-02-01",
            "reported_on": "2026-02-10",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not west_household.changes.exists()
    west_household.refresh_from_db()
    assert west_household.size == 1


def test_a_registry_keeper_reading_full_id_numbers_in_the_admin_is_recorded(client, office, east):
    from django.urls import reverse

    from households.models import Household
    from xigang.models import AuditEntry

    Household.objects.create(
        number="东村-009", village=east, head_name="王五", head_id_number="11010519491231002X"
    )
    client.force_login(office)
    page = client.get(reverse("admin:households_household_changelist")).content.decode()
    assert "11010519491231002X" in page
    assert AuditEntry.objects.filter(action="read", actor_id=office.pk).count() == 1
