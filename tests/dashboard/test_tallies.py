"""The whole-town dashboard counts the overdue list in the database (`Rule.tallies`) instead of
building every item: its numbers must be exactly the counts of the list behind them."""

import datetime
from collections import Counter

import pytest
from django.urls import reverse

from households.models import Household, Pairing
from tests.dashboard.conftest import AS_OF
from visits.models import ProblemCategory, Visit
from visits.services import problem_report, visit_record
from xigang import obligations
from xigang.obligations import Filters

pytestmark = pytest.mark.usefixtures("obligation_source")

SINCE = datetime.date(2025, 10, 1)


@pytest.fixture
def mixed(town, east, west):
    """Beyond `town`: a household handed over mid-year from one cadre to the other (items
    attributed to each), visits that meet some periods, and a late routed problem."""
    handed = Household.objects.create(number="东村-002", village=east, head_name="赵六")
    Pairing.objects.create(
        household=handed,
        cadre=town["pairing"].cadre,
        start=datetime.date(2025, 6, 1),
        end=datetime.date(2026, 5, 15),
    )
    Pairing.objects.create(
        household=handed, cadre=town["west_pairing"].cadre, start=datetime.date(2026, 5, 16)
    )
    east_household = Household.objects.get(number="东村-001")
    for on in (datetime.date(2026, 2, 3), datetime.date(2026, 8, 20)):
        visit_record(
            household=east_household,
            cadre=town["pairing"].cadre,
            kind=Visit.Kind.HOME,
            on=on,
            content="入户了解收入和就医情况",
        )
    visit_record(
        household=handed,
        cadre=town["west_pairing"].cadre,
        kind=Visit.Kind.PHONE,
        on=datetime.date(2026, 9, 9),
        content="入户了解收入和就医情况",
    )
    problem_report(
        household=east_household,
        category=ProblemCategory.objects.filter(department__name="民政科").first(),
        description="低保待遇未落实",
        found_on=datetime.date(2026, 3, 1),
    )
    return town


def _key(tally):
    return tuple(getattr(tally, key) for key in obligations.TALLY_FIELDS)


def _counted(tallies):
    counts = Counter()
    for t in tallies:
        counts[_key(t)] += t.count
    return counts


@pytest.mark.parametrize(
    "who, filters",
    [
        ("inspector", Filters()),
        ("inspector", Filters(village="东村")),
        ("inspector", Filters(cadre="west_pairing")),
        ("inspector", Filters(department="民政科")),
        ("inspector", Filters(rule="pairing.phone_contact")),
        ("east_cadre", Filters()),
        ("pairing", Filters()),
        ("outsider", Filters()),
    ],
)
def test_the_counts_are_the_lists_counts(mixed, who, filters):
    user = mixed[who]
    items = obligations.overdue_items(user=user, as_of=AS_OF, since=SINCE, filters=filters)
    tallies = obligations.overdue_tallies(user=user, as_of=AS_OF, since=SINCE, filters=filters)
    assert _counted(tallies) == _counted(obligations.tally(items))
    if who == "inspector" and filters == Filters():
        # the case is not trivial: both cadres, both rules, the problem, gaps met by visits
        assert {t.cadre for t in tallies} >= {"pairing", "west_pairing"}
        assert {t.rule for t in tallies} >= {
            "pairing.home_visit",
            "pairing.phone_contact",
            "problem.resolve",
        }


def test_each_number_on_the_town_page_opens_a_list_as_long(client, mixed):
    from dashboard import selectors

    client.force_login(mixed["inspector"])
    html = client.get(reverse("home"), {"as_of": AS_OF.isoformat()}).content.decode()
    query = selectors.parse_query({"as_of": AS_OF.isoformat()}, today=AS_OF)
    items = selectors.overdue(mixed["inspector"], query)
    cadres = Counter(i.cadre for i in items if i.cadre)
    names = {i.cadre: i.cadre_name for i in items if i.cadre}
    assert cadres["west_pairing"] > 0 and cadres["pairing"] > 0
    assert f">逾期事项 {len(items)} 项<" in html
    for username, n in cadres.items():
        # the bar (top ten) says the count, and its link opens a list that long
        assert f'cadre={username}"><title>{names[username]}: {n}</title>' in html
        listed = client.get(
            reverse("dashboard:items"), {"as_of": AS_OF.isoformat(), "cadre": username}
        ).content.decode()
        assert f"逾期事项 {n} 项" in listed
