"""Rule `pairing.assigned` (art. 37): a household not closed with no pairing cadre for more than
N days (7 by default) is overdue for 扶贫办, shown to its village, not to a pairing cadre."""

import datetime

import pytest

from duties.models import RuleParameter
from households.models import Household, Pairing
from households.rules import pairing_gaps
from xigang.obligations import Filters, overdue_items, pending_items

D = datetime.date
SINCE = D(2026, 1, 1)
ONLY = Filters(rule="pairing.assigned")
ENDED = D(2026, 5, 10)  # the first pairing's last day: the gap begins 2026-05-11, due 05-18


def _items(user, as_of, filters=ONLY):
    return overdue_items(user=user, as_of=as_of, since=SINCE, filters=filters)


def _ended(household, pairing):
    Pairing.objects.filter(household=household).update(end=ENDED)


def _restart(household, cadre, start):
    Pairing.objects.create(household=household, cadre=cadre, start=start)


def test_a_gap_of_n_days_is_allowed_and_one_more_is_overdue(office, east_household, pairing):
    _ended(east_household, pairing)
    _restart(east_household, pairing.cadre, D(2026, 5, 18))  # uncovered 05-11..05-17: 7 days
    assert _items(office, D(2026, 11, 29)) == []
    Pairing.objects.filter(start=D(2026, 5, 18)).update(start=D(2026, 5, 19))  # 8 days
    [item] = _items(office, D(2026, 11, 29))
    assert (item.rule, item.article, item.period, item.period_start, item.period_end) == (
        "pairing.assigned",
        37,
        "2026-05-11",
        D(2026, 5, 11),
        D(2026, 5, 18),
    )
    assert (item.due, item.days_overdue, item.department, item.cadre) == (
        D(2026, 5, 18),
        1,
        "扶贫办",
        None,
    )
    assert (item.household, item.village) == ("东村-001", "东村")
    assert "2026-05-11" in item.subject


def test_an_open_gap_is_pending_until_n_days_then_overdue_once(office, east_household, pairing):
    _ended(east_household, pairing)
    assert _items(office, D(2026, 5, 18)) == []
    [soon] = pending_items(user=office, as_of=D(2026, 5, 18), filters=ONLY)
    assert (soon.household, soon.due) == ("东村-001", D(2026, 5, 18))
    [item] = _items(office, D(2026, 5, 19))
    assert item.days_overdue == 1
    [item] = _items(office, D(2026, 6, 30))
    assert (item.days_overdue, item.period_end) == (43, D(2026, 6, 29))
    assert pending_items(user=office, as_of=D(2026, 6, 30), filters=ONLY) == []


def test_the_village_sees_it_a_pairing_cadre_does_not(
    east_household, pairing, east_cadre, west_cadre, dept, leader
):
    _ended(east_household, pairing)
    as_of = D(2026, 6, 30)
    assert [i.household for i in _items(east_cadre, as_of)] == ["东村-001"]
    assert [i.household for i in _items(leader, as_of)] == ["东村-001"]
    assert _items(west_cadre, as_of) == []
    assert _items(pairing, as_of) == []
    assert _items(dept, as_of) == []


def test_filters(office, east_household, pairing):
    _ended(east_household, pairing)
    as_of = D(2026, 6, 30)
    assert len(_items(office, as_of, Filters(rule="pairing.assigned", department="扶贫办"))) == 1
    assert [i.rule for i in _items(office, as_of, Filters(article=37))] == ["pairing.assigned"]
    assert _items(office, as_of, Filters(rule="pairing.assigned", department="民政科")) == []
    assert _items(office, as_of, Filters(rule="pairing.assigned", cadre="pairing")) == []
    assert _items(office, as_of, Filters(rule="pairing.assigned", village="西村")) == []
    assert overdue_items(user=office, as_of=as_of, since=D(2026, 5, 12), filters=ONLY) == []


def test_a_closed_household_owes_no_cadre_after_its_last_pairing(office, east_household, pairing):
    _ended(east_household, pairing)
    Household.objects.filter(pk=east_household.pk).update(status=Household.Status.CLOSED)
    assert _items(office, D(2026, 6, 30)) == []
    # A gap between two pairings before it closed still counts.
    Pairing.objects.create(
        household=east_household, cadre=pairing.cadre, start=D(2026, 6, 1), end=D(2026, 6, 20)
    )
    assert [i.period for i in _items(office, D(2026, 6, 30))] == ["2026-05-11"]


def test_the_days_in_force_on_the_gaps_first_day_apply(office, east_household, pairing):
    RuleParameter.objects.create(
        rule="pairing.assigned", name="days", value=15, effective_from=D(2026, 5, 1)
    )
    _ended(east_household, pairing)
    _restart(east_household, pairing.cadre, D(2026, 5, 26))  # 15 days uncovered
    assert _items(office, D(2026, 11, 29)) == []


def test_overlapping_and_chained_pairings_leave_no_gap():
    spans = [(D(2026, 1, 1), D(2026, 3, 31)), (D(2026, 2, 1), D(2026, 5, 10))]
    spans += [(D(2026, 5, 11), D(2026, 6, 30)), (D(2026, 7, 1), None)]
    assert list(pairing_gaps(spans, closed=False)) == []
    assert list(pairing_gaps(spans[:3], closed=False)) == [(D(2026, 7, 1), None)]
    assert list(pairing_gaps(spans[:3], closed=True)) == []
    assert list(pairing_gaps(spans[:1] + spans[2:3], closed=True)) == [
        (D(2026, 4, 1), D(2026, 5, 11))
    ]


@pytest.mark.cold
@pytest.mark.parametrize("count", [5, 30])
def test_the_query_count_does_not_grow_with_households(
    office, east, pairing, count, django_assert_num_queries
):
    households = Household.objects.bulk_create(
        Household(number=f"东村-{n:03d}", village=east, head_name="户主") for n in range(count)
    )
    Pairing.objects.bulk_create(
        Pairing(household=h, cadre=pairing.cadre, start=D(2025, 1, 1), end=D(2026, 2, 1))
        for h in households
    )
    items = overdue_items(user=office, as_of=D(2026, 6, 30), since=SINCE, filters=ONLY)
    office = type(office).objects.get(pk=office.pk)  # a fresh user: the scope computed again
    # the scope (groups, departments granted, cadre), the parameter, the gaps' pairings
    with django_assert_num_queries(5):
        items = overdue_items(user=office, as_of=D(2026, 6, 30), since=SINCE, filters=ONLY)
    assert len(items) == count
