"""Rule member_change.report (arts. 32, 37): reported within N days of the change."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType

from duties.models import Department, RuleParameter
from households.models import MemberChange, Pairing
from xigang.entry import go_live
from xigang.obligations import Filters, overdue_items

D = datetime.date
AS_OF, SINCE = D(2026, 12, 31), D(2026, 1, 1)
ONLY = Filters(rule="member_change.report")


def _change(household, happened, reported, name="乙", kind="新生"):
    return MemberChange.objects.create(
        household=household, name=name, kind=kind, happened_on=happened, reported_on=reported
    )


def _items(user, filters=ONLY, as_of=AS_OF):
    return overdue_items(user=user, as_of=as_of, since=SINCE, filters=filters)


def test_exactly_n_days_is_in_time_and_one_more_is_late(office, east_household):
    _change(east_household, D(2026, 3, 1), D(2026, 3, 31), name="在期限内")
    _change(east_household, D(2026, 3, 1), D(2026, 4, 1), name="晚一天")
    items = _items(office)
    assert len(items) == 1
    item = items[0]
    assert (item.period, item.period_start, item.period_end) == (
        "2026-03-01",
        D(2026, 3, 1),
        D(2026, 3, 1),
    )
    assert (item.due, item.days_overdue, item.article) == (D(2026, 3, 31), 1, 32)
    assert (item.household, item.village, item.cadre, item.department) == (
        "东村-001",
        "东村",
        "pairing",
        None,
    )
    assert "晚一天" in item.subject and "30日内上报" in item.subject


def test_the_days_in_force_on_the_day_of_the_change_apply(office, east_household):
    RuleParameter.objects.create(
        rule="member_change.report", name="days", value=15, effective_from=D(2026, 6, 1)
    )
    _change(east_household, D(2026, 5, 20), D(2026, 6, 15), name="旧规定")  # 26 days, 30 allowed
    _change(east_household, D(2026, 6, 10), D(2026, 6, 26), name="新规定")  # 16 days, 15 allowed
    items = _items(office)
    assert [(i.subject.startswith("新规定"), i.due, i.days_overdue) for i in items] == [
        (True, D(2026, 6, 25), 1)
    ]


def test_nothing_is_overdue_before_its_due_day_has_passed(office, east_household):
    _change(east_household, D(2026, 3, 1), D(2026, 5, 1))
    assert _items(office, as_of=D(2026, 3, 31)) == []
    assert [i.days_overdue for i in _items(office, as_of=D(2026, 4, 10))] == [10]  # up to as_of


def test_the_cadre_is_the_one_paired_on_the_day_and_filters_apply(
    office, east_household, west_household
):
    _change(east_household, D(2025, 12, 20), D(2026, 3, 1), name="结对前")  # before since
    _change(east_household, D(2026, 2, 1), D(2026, 4, 1), name="东")
    _change(west_household, D(2026, 2, 1), D(2026, 4, 1), name="西")
    assert {i.household: i.cadre for i in _items(office)} == {
        "东村-001": "pairing",
        "西村-001": None,
    }
    assert [i.household for i in _items(office, Filters(rule=ONLY.rule, village="西村"))] == [
        "西村-001"
    ]
    assert [i.household for i in _items(office, Filters(rule=ONLY.rule, cadre="pairing"))] == [
        "东村-001"
    ]
    assert _items(office, Filters(rule=ONLY.rule, department="民政科")) == []


@pytest.mark.usefixtures("today")
def test_each_user_sees_only_their_scope(cast, east_household, west_household):
    _change(east_household, D(2026, 2, 1), D(2026, 4, 1))
    _change(west_household, D(2026, 2, 1), D(2026, 4, 1))
    seen = {name: sorted(i.household for i in _items(user)) for name, user in cast.items()}
    assert seen == {
        "leader": ["东村-001", "西村-001"],
        "office": ["东村-001", "西村-001"],
        "inspector": ["东村-001", "西村-001"],
        "dept": [],
        "east_cadre": ["东村-001"],
        "west_cadre": ["西村-001"],
        "pairing": ["东村-001"],
        "outsider": [],
    }


def test_the_rule_costs_a_fixed_number_of_queries(
    east_cadre, east_household, django_assert_max_num_queries
):
    for day in range(1, 29):
        _change(east_household, D(2026, 2, day), D(2026, 5, 1), name=f"人{day}")
    east_cadre.groups.all()  # warm nothing: the scope is computed inside
    go_live(), ContentType.objects.get_for_model(Department)  # read once per process
    # Queries: scope (groups, user grants ∪ group grants, department grants, cadre: 4),
    # the reach's households and their versions (2: xigang.kept), the parameter schedule (1),
    # the late changes with household, village and cadre (1).
    with django_assert_max_num_queries(8):
        items = _items(east_cadre)
    assert len(items) == 28


@pytest.mark.usefixtures("today")
def test_after_a_handover_the_item_stays_with_the_cadre_paired_on_the_day(
    east_household, pairing, west_pairing
):
    """Attribution survives a handover: the predecessor keeps seeing the late report of a change
    that happened while they were paired; the successor sees neither it nor its household's
    earlier items as their own."""
    Pairing.objects.filter(household=east_household).update(end=D(2026, 5, 31))
    Pairing.objects.create(household=east_household, cadre=west_pairing.cadre, start=D(2026, 6, 1))
    _change(east_household, D(2026, 3, 1), D(2026, 4, 15), name="前任期间")
    _change(east_household, D(2026, 7, 1), D(2026, 8, 15), name="接任之后")
    predecessor, successor = _items(pairing), _items(west_pairing)
    assert [("前任期间" in i.subject, i.cadre) for i in predecessor] == [(True, "pairing")]
    assert [("接任之后" in i.subject, i.cadre) for i in successor] == [(True, "west_pairing")]
