"""Attribution survives a handover (docs/design.md): the cadre paired on a period's last day sees
its item in the list, the JSON and their home whatever today's pairings are; the successor sees
the household and their own periods, never the predecessor's. Today is 2026-11-30, the list as
of 2026-11-29 since 2026-01-01, no visit at all."""

import datetime
import json
import re

import pytest
from django.urls import reverse

from households.models import Household, Pairing
from tests.conftest import make_user
from xigang import roles

pytestmark = pytest.mark.usefixtures("obligation_source")

D = datetime.date
Q = {"as_of": "2026-11-29", "since": "2026-01-01"}
QUARTERS = ["2026-Q1", "2026-Q2", "2026-Q3"]
MONTHS = [f"2026-{m:02d}" for m in range(1, 11)]

# handover (last day of the first cadre) -> the periods each cadre answers for, and the
# periods pending today (2026-Q4, 2026-11: the successor's).
HANDOVERS = {
    # mid-quarter: 2026-Q3 and 2026-08 end under the successor
    "mid-quarter": (D(2026, 8, 15), QUARTERS[:2] + MONTHS[:7], QUARTERS[2:] + MONTHS[7:]),
    # after the quarter: the first cadre answers for all of Q1-Q3
    "after the quarter": (D(2026, 9, 30), QUARTERS + MONTHS[:9], MONTHS[9:]),
}
PENDING = ["2026-Q4", "2026-11"]


@pytest.fixture
def alice(east):
    return make_user("alice", roles.PAIRING, east, name="王丽")


@pytest.fixture
def bob(east):
    return make_user("bob", roles.PAIRING, east, name="赵波")


def _json(client, user):
    client.force_login(user)
    response = client.get(reverse("dashboard:overdue_json"), Q)
    assert response.status_code == 200
    return json.loads(response.content)["items"]


def _page(client, user, name):
    client.force_login(user)
    response = client.get(reverse(name), Q)
    assert response.status_code == 200
    return response.content.decode()


def _names(html, period):
    """Whether the page names the period (not a date of it, like the query's since)."""
    return re.search(rf"{period}(?![-\d])", html) is not None


@pytest.mark.usefixtures("today")
@pytest.mark.parametrize("when", sorted(HANDOVERS))
@pytest.mark.parametrize("direction", ["alice to bob", "bob to alice"])
def test_each_cadre_sees_the_periods_attributed_to_them(
    client, east, alice, bob, east_cadre, when, direction
):
    last_day, first_periods, second_periods = HANDOVERS[when]
    first, second = (alice, bob) if direction == "alice to bob" else (bob, alice)
    household = Household.objects.create(number="东村-200", village=east, head_name="孙七")
    Pairing.objects.create(
        household=household, cadre=first.cadre, start=D(2026, 1, 1), end=last_day
    )
    Pairing.objects.create(
        household=household, cadre=second.cadre, start=last_day + datetime.timedelta(days=1)
    )

    for user, own, others in (
        (first, first_periods, second_periods),
        (second, second_periods, first_periods),
    ):
        items = _json(client, user)
        assert sorted(i["period"] for i in items) == sorted(own)
        assert {(i["household"], i["cadre"]) for i in items} == {("东村-200", user.username)}
        listed = _page(client, user, "dashboard:items")
        home = _page(client, user, "home")
        for period in own:
            assert f">{period}</td>" in listed
            assert _names(home, period)
        for period in others:
            assert f">{period}</td>" not in listed
            assert not _names(home, period)
    # Pending (the current quarter and month) are the successor's only.
    successor_home = _page(client, second, "home")
    predecessor_home = _page(client, first, "home")
    for period in PENDING:
        assert _names(successor_home, period) and not _names(predecessor_home, period)
    # The successor reaches the household (its page, the visit link); the predecessor no longer.
    client.force_login(second)
    response = client.get(reverse("dashboard:household", args=["东村-200"]), Q)
    assert response.status_code == 200
    page = response.content.decode()
    assert all(_names(page, p) for p in second_periods)
    assert not any(_names(page, p) for p in first_periods)
    client.force_login(first)
    assert client.get(reverse("dashboard:household", args=["东村-200"]), Q).status_code == 404
    # The village sees every period, each with its cadre.
    village = {
        (i["period"], i["cadre"]) for i in _json(client, east_cadre) if i["household"] == "东村-200"
    }
    assert village == {(p, first.username) for p in first_periods} | {
        (p, second.username) for p in second_periods
    }


@pytest.mark.usefixtures("today")
def test_a_cadre_paired_with_two_households_sees_no_other_cadres_items(client, east, alice, bob):
    """Ever having been paired with a household gives no reach to its later periods."""
    mine = Household.objects.create(number="东村-201", village=east, head_name="周八")
    theirs = Household.objects.create(number="东村-202", village=east, head_name="吴九")
    Pairing.objects.create(household=mine, cadre=alice.cadre, start=D(2026, 1, 1))
    Pairing.objects.create(household=theirs, cadre=bob.cadre, start=D(2026, 1, 1))
    Pairing.objects.create(
        household=theirs, cadre=alice.cadre, start=D(2025, 6, 1), end=D(2025, 12, 31)
    )
    assert {i["household"] for i in _json(client, alice)} == {"东村-201"}
    assert {i["household"] for i in _json(client, bob)} == {"东村-202"}
