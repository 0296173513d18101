"""Each role's JSON and page list exactly the items of its scope, in docs/design.md's shape."""

import json

import pytest
from django.urls import reverse

from tests.dashboard.conftest import AS_OF, PAIRING_ITEMS_PER_HOUSEHOLD
from xigang import obligations

pytestmark = pytest.mark.usefixtures("obligation_source")

QUERY = {"as_of": AS_OF.isoformat()}
PAIRING_RULES = {"pairing.home_visit", "pairing.phone_contact"}

# who -> the households whose pairing items they see
REACH = {
    "leader": {"东村-001", "西村-001"},
    "office": {"东村-001", "西村-001"},
    "inspector": {"东村-001", "西村-001"},
    "east_cadre": {"东村-001"},
    "west_cadre": {"西村-001"},
    "pairing": {"东村-001"},
    "west_pairing": {"西村-001"},
    "dept": set(),
    "outsider": set(),
}


def _json(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("dashboard:overdue_json"), {**QUERY, **params})
    assert response["Content-Type"] == "application/json"
    return response, json.loads(response.content)


@pytest.mark.parametrize("who", sorted(REACH))
def test_it_lists_exactly_the_items_in_scope(client, town, who):
    user = town[who]
    response, data = _json(client, user)
    assert response.status_code == 200
    assert data["as_of"] == "2026-11-29"
    assert data["since"] == "2025-10-01"
    pairing_items = [i for i in data["items"] if i["rule"] in PAIRING_RULES]
    assert {i["household"] for i in pairing_items} == REACH[who]
    assert len(pairing_items) == PAIRING_ITEMS_PER_HOUSEHOLD * len(REACH[who])
    # The very list of the engine, nothing recomputed here.
    engine = obligations.overdue_items(
        user=user, as_of=AS_OF, since=data["since"] and __import__("datetime").date(2025, 10, 1)
    )
    assert data["items"] == [item.as_json() for item in engine]


def test_it_has_designs_shape(client, town):
    _response, data = _json(client, town["pairing"], rule="pairing.home_visit")
    assert set(data) == {"as_of", "since", "items"}
    assert data["items"][0] == {
        "rule": "pairing.home_visit",
        "article": 39,
        "period": "2026-Q1",
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "due": "2026-03-31",
        "days_overdue": 243,
        "household": "东村-001",
        "village": "东村",
        "cadre": "pairing",
        "department": None,
        "subject": data["items"][0]["subject"],
        "entered_at": None,
        "late_entry": False,
    }
    assert [i["period"] for i in data["items"]] == ["2026-Q1", "2026-Q2", "2026-Q3"]


def test_it_filters_by_village_cadre_and_rule(client, town):
    _r, data = _json(client, town["office"], village="西村", rule="pairing.phone_contact")
    assert {i["household"] for i in data["items"]} == {"西村-001"}
    assert len(data["items"]) == 10
    _r, data = _json(client, town["office"], cadre="pairing", rule="pairing.home_visit")
    assert {(i["household"], i["cadre"]) for i in data["items"]} == {("东村-001", "pairing")}
    _r, data = _json(client, town["office"], since="2026-07-01", rule="pairing.home_visit")
    assert [i["period"] for i in data["items"]] == ["2026-Q3", "2026-Q3"]


def test_a_village_filter_never_widens_the_scope(client, town):
    _r, data = _json(client, town["east_cadre"], village="西村")
    assert data["items"] == []


def test_anonymous_users_get_no_data(client, town):
    response = client.get(reverse("dashboard:overdue_json"), QUERY)
    assert response.status_code == 401
    data = json.loads(response.content)
    assert "items" not in data
    assert "登录" in data["error"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"as_of": "2026-13-01"}, "「2026-13-01」不是日期"),
        ({"since": "yesterday"}, "「yesterday」不是日期"),
        ({"since": "2026-12-01"}, "晚于"),
        ({"rule": "pairing.visit"}, "未知的规则"),
        ({"article": "四十"}, "条款"),
        ({"limit": "ten"}, "limit「ten」不是整数"),
        ({"offset": "-5", "limit": "10"}, "offset「-5」不是整数"),
        ({"limit": "0"}, "limit 应在 1 到 5000 之间"),
        ({"limit": "5001"}, "limit 应在 1 到 5000 之间"),
    ],
)
def test_bad_parameters_answer_400_in_chinese(client, town, params, message):
    response, data = _json(client, town["office"], **params)
    assert response.status_code == 400
    assert message in data["error"]
    assert "items" not in data


def test_it_pages_the_list_on_request(client, town):
    _r, whole = _json(client, town["office"])
    assert set(whole) == {"as_of", "since", "items"}  # docs/design.md's shape without paging
    n = len(whole["items"])
    assert n > 20
    _r, first = _json(client, town["office"], limit="10")
    assert (first["total"], first["offset"], first["limit"]) == (n, 0, 10)
    assert first["items"] == whole["items"][:10]
    _r, rest = _json(client, town["office"], offset="10")
    assert rest["items"] == whole["items"][10:] and rest["limit"] is None
    _r, beyond = _json(client, town["office"], offset=str(n + 5), limit="10")
    assert beyond["items"] == [] and beyond["total"] == n
    # A page never reaches out of scope: the cadre's total is the cadre's list.
    _r, mine = _json(client, town["pairing"], limit="5")
    _r, all_mine = _json(client, town["pairing"])
    assert mine["total"] == len(all_mine["items"])
    assert {i["household"] for i in mine["items"]} <= {"东村-001", None}


def test_a_visit_makes_its_item_disappear(client, town, east_household):
    from visits.models import Visit
    from visits.services import visit_record

    _r, before = _json(client, town["pairing"])
    assert ("2026-Q3", "pairing.home_visit") in {(i["period"], i["rule"]) for i in before["items"]}
    visit_record(
        household=east_household,
        cadre=town["pairing"].cadre,
        kind=Visit.Kind.HOME,
        on=__import__("datetime").date(2026, 8, 10),
        content="入户了解收入和就医情况",
    )
    _r, after = _json(client, town["pairing"])
    gone = {(i["period"], i["rule"]) for i in before["items"]} - {
        (i["period"], i["rule"]) for i in after["items"]
    }
    # The home visit meets the quarter and, for phone contact, its month.
    assert gone == {("2026-Q3", "pairing.home_visit"), ("2026-08", "pairing.phone_contact")}
