"""The exact semantics of `pairing.home_visit` and `pairing.phone_contact` (docs/design.md,
'Exact semantics'), pinned on hand-built households. Dates: Q1 2026 = Jan 1 - Mar 31,
Q2 = Apr 1 - Jun 30."""

import datetime

import pytest

from households.models import Household, Pairing
from tests.conftest import make_user
from visits.models import Visit
from visits.rules import HomeVisitRule, PhoneContactRule
from xigang import roles
from xigang.obligations import Filters, overdue_items, pending_items, state_refresh

pytestmark = pytest.mark.usefixtures("obligation_source")

D = datetime.date
HOME, PHONE = Visit.Kind.HOME, Visit.Kind.PHONE
AS_OF, SINCE, SINCE_Q2 = D(2026, 7, 15), D(2026, 1, 1), D(2026, 4, 1)


@pytest.fixture
def alice(east):
    return make_user("alice", roles.PAIRING, east, name="王丽").cadre


@pytest.fixture
def bob(east):
    return make_user("bob", roles.PAIRING, east, name="赵波").cadre


@pytest.fixture
def household(east):
    return Household.objects.create(number="东村-100", village=east, head_name="刘一")


def pair(household, cadre, start, end=None):
    return Pairing.objects.create(household=household, cadre=cadre, start=start, end=end)


def visit(household, cadre, kind, on):
    # Created directly: the service refuses visits by unpaired cadres, and some tests need one.
    return Visit.objects.create(household=household, cadre=cadre, kind=kind, on=on)


def home(user, *, as_of=AS_OF, since=SINCE, **filters):
    items = HomeVisitRule().overdue(user=user, as_of=as_of, since=since, filters=Filters(**filters))
    return sorted((i.household, i.period, i.cadre) for i in items)


def phone(user, *, as_of=AS_OF, since=SINCE_Q2, **filters):
    items = PhoneContactRule().overdue(
        user=user, as_of=as_of, since=since, filters=Filters(**filters)
    )
    return sorted((i.household, i.period, i.cadre) for i in items)


def test_it_lists_each_unmet_quarter_fully_paired(office, household, alice):
    pair(household, alice, D(2025, 12, 1))
    assert home(office) == [("东村-100", "2026-Q1", "alice"), ("东村-100", "2026-Q2", "alice")]


def test_a_handover_inside_a_quarter_keeps_it_owed_and_the_last_cadre_answers(
    office, household, alice, bob
):
    pair(household, alice, D(2026, 1, 1), D(2026, 5, 10))
    pair(household, bob, D(2026, 5, 11))
    assert home(office) == [("东村-100", "2026-Q1", "alice"), ("东村-100", "2026-Q2", "bob")]


def test_a_gap_of_a_few_days_makes_the_quarter_not_owed(office, household, alice, bob):
    pair(household, alice, D(2026, 1, 1), D(2026, 5, 10))
    pair(household, bob, D(2026, 5, 14))
    assert home(office) == [("东村-100", "2026-Q1", "alice")]


def test_overlapping_pairings_cover_the_quarter(office, household, alice, bob):
    pair(household, alice, D(2026, 1, 1), D(2026, 5, 20))
    pair(household, bob, D(2026, 5, 1), D(2026, 9, 30))
    assert home(office) == [("东村-100", "2026-Q1", "alice"), ("东村-100", "2026-Q2", "bob")]


def test_a_pairing_starting_on_the_first_day_owes_the_quarter(office, household, alice):
    pair(household, alice, D(2026, 4, 1))
    assert home(office) == [("东村-100", "2026-Q2", "alice")]


def test_a_pairing_starting_on_the_second_day_does_not(office, household, alice):
    pair(household, alice, D(2026, 4, 2))
    assert home(office) == []


def test_a_pairing_ending_on_the_last_day_owes_the_quarter(office, household, alice):
    pair(household, alice, D(2026, 4, 1), D(2026, 6, 30))
    assert home(office) == [("东村-100", "2026-Q2", "alice")]


def test_a_pairing_ending_the_day_before_the_last_does_not(office, household, alice):
    pair(household, alice, D(2026, 1, 1), D(2026, 6, 29))
    assert home(office) == [("东村-100", "2026-Q1", "alice")]


def test_a_visit_on_the_first_or_last_day_meets_the_quarter(office, household, alice):
    pair(household, alice, D(2026, 1, 1))
    visit(household, alice, HOME, D(2026, 1, 1))
    visit(household, alice, HOME, D(2026, 6, 30))
    assert home(office) == []


def test_a_visit_the_day_after_the_quarter_does_not_meet_it(office, household, alice):
    pair(household, alice, D(2026, 1, 1))
    visit(household, alice, HOME, D(2026, 1, 1))
    visit(household, alice, HOME, D(2026, 7, 1))
    assert home(office) == [("东村-100", "2026-Q2", "alice")]


def test_a_visit_by_a_cadre_not_paired_that_day_does_not_count(office, household, alice, bob):
    pair(household, alice, D(2026, 1, 1), D(2026, 5, 10))
    pair(household, bob, D(2026, 5, 11))
    visit(household, alice, HOME, D(2026, 2, 1))
    visit(household, bob, HOME, D(2026, 5, 10))  # bob's pairing starts the next day
    assert home(office) == [("东村-100", "2026-Q2", "bob")]
    visit(household, bob, HOME, D(2026, 5, 11))
    assert home(office) == []


def test_a_phone_call_does_not_meet_the_quarter(office, household, alice):
    pair(household, alice, D(2026, 4, 1))
    visit(household, alice, PHONE, D(2026, 5, 5))
    assert home(office) == [("东村-100", "2026-Q2", "alice")]


def test_a_home_visit_meets_the_month(office, household, alice):
    pair(household, alice, D(2026, 4, 1))
    visit(household, alice, HOME, D(2026, 4, 30))
    visit(household, alice, PHONE, D(2026, 5, 1))
    assert phone(office) == [("东村-100", "2026-06", "alice")]


def test_the_current_period_is_pending_never_overdue(office, household, alice):
    pair(household, alice, D(2026, 4, 1))
    assert home(office, as_of=D(2026, 6, 30)) == []
    pending = HomeVisitRule().pending(user=office, as_of=D(2026, 6, 30), filters=Filters())
    assert [(i.period, i.days_overdue, i.due) for i in pending] == [("2026-Q2", 0, D(2026, 6, 30))]
    late = HomeVisitRule().overdue(
        user=office, as_of=D(2026, 7, 1), since=D(2026, 1, 1), filters=Filters()
    )
    assert [(i.period, i.days_overdue, i.period_start, i.period_end) for i in late] == [
        ("2026-Q2", 1, D(2026, 4, 1), D(2026, 6, 30))
    ]


def test_since_keeps_periods_starting_on_or_after_it(office, household, alice):
    pair(household, alice, D(2025, 1, 1))
    assert [p for _h, p, _c in home(office, since=D(2026, 4, 1))] == ["2026-Q2"]
    assert [p for _h, p, _c in home(office, since=D(2026, 4, 2))] == []
    assert [p for _h, p, _c in home(office, since=D(2025, 12, 31))] == ["2026-Q1", "2026-Q2"]


def test_month_labels_and_boundaries(office, household, alice):
    pair(household, alice, D(2026, 4, 1))
    assert [p for _h, p, _c in phone(office, as_of=D(2026, 7, 1))] == [
        "2026-04",
        "2026-05",
        "2026-06",
    ]
    assert [p for _h, p, _c in phone(office, as_of=D(2026, 6, 30))] == ["2026-04", "2026-05"]


def test_filters_by_attributed_cadre_and_village(office, household, alice, bob, west):
    pair(household, alice, D(2026, 1, 1), D(2026, 5, 10))
    pair(household, bob, D(2026, 5, 11))
    assert home(office, cadre="bob") == [("东村-100", "2026-Q2", "bob")]
    assert home(office, village="西村") == []
    assert len(home(office, village="东村")) == 2


def test_a_village_cadre_sees_only_its_village(east_cadre, west_cadre, household, alice, west):
    other = Household.objects.create(number="西村-100", village=west, head_name="陈二")
    pair(household, alice, D(2026, 1, 1))
    pair(other, alice, D(2026, 1, 1))
    assert {h for h, _p, _c in home(east_cadre)} == {"东村-100"}
    assert {h for h, _p, _c in home(west_cadre)} == {"西村-100"}


@pytest.mark.usefixtures("today")
def test_a_pairing_cadre_sees_only_its_households(household, alice, bob, east):
    other = Household.objects.create(number="东村-101", village=east, head_name="周三")
    pair(household, alice, D(2026, 1, 1))
    pair(other, bob, D(2026, 1, 1))
    assert {h for h, _p, _c in home(alice.user)} == {"东村-100"}


def test_an_outsider_sees_nothing(outsider, household, alice):
    pair(household, alice, D(2026, 1, 1))
    assert overdue_items(user=outsider, as_of=D(2026, 7, 15), since=D(2026, 1, 1)) == []
    assert pending_items(user=outsider, as_of=D(2026, 7, 15)) == []


@pytest.mark.cold
def test_the_query_count_does_not_grow_with_households(
    office, east, alice, bob, django_assert_max_num_queries
):
    households = Household.objects.bulk_create(
        Household(number=f"东村-{n:03d}", village=east, head_name="户主") for n in range(40)
    )
    Pairing.objects.bulk_create(
        Pairing(household=h, cadre=alice if n % 2 else bob, start=D(2025, 1, 1))
        for n, h in enumerate(households)
    )
    state_refresh(households=[h.pk for h in households])  # a bulk write refreshes the state
    office.groups.all()  # warm nothing; the scope is computed inside
    # scope (groups, cadre) + the UNION ALL of one SELECT per month + the attributed cadres
    with django_assert_max_num_queries(6):
        items = PhoneContactRule().overdue(
            user=office, as_of=D(2026, 7, 15), since=D(2025, 1, 1), filters=Filters()
        )
    assert len(items) == 40 * 18
    # The other visit rules: problems (one query), 救急难 (its parameter schedule + one query).
    with django_assert_max_num_queries(8):
        for rule in ("pairing.home_visit", "problem.resolve", "emergency.aid"):
            items += overdue_items(
                user=office, as_of=D(2026, 7, 15), since=D(2025, 1, 1), filters=Filters(rule=rule)
            )
    assert len(items) == 40 * 18 + 40 * 6
