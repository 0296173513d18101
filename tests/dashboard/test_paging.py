"""The list's pages are built alone (`obligations.overdue_page`: each rule's first items, sorted
and cut in the database for the visit rules): every page and the total must be exactly those of
the whole list sorted, for every role and filter, ties included."""

import datetime

import pytest
from django.urls import reverse

from households.models import Household, Pairing
from tests.dashboard.conftest import AS_OF, PAIRED_SINCE, more_households
from visits.models import ProblemCategory, Visit
from visits.services import problem_report, visit_record
from xigang import obligations
from xigang.obligations import Filters

pytestmark = pytest.mark.usefixtures("obligation_source")

SINCE = datetime.date(2025, 10, 1)
PHONE = "pairing.phone_contact"
STEP = 7  # a page size that cuts through the runs of equal due days


@pytest.fixture
def ties(town, east, west):
    """Beyond `town`: households whose numbers sort differently by code point than by any
    locale (digits, capitals, small letters, Chinese), a handover mid-year, visits meeting some
    periods, and two problems alike in everything the list sorts by."""
    cadre, west_cadre = town["pairing"].cadre, town["west_pairing"].cadre
    for number, village, who in [
        ("东村-10", east, cadre),
        ("东村-9", east, cadre),
        ("东村-A", east, cadre),
        ("东村-a", east, cadre),
        ("A-1", east, cadre),
        ("西村-Z", west, west_cadre),
        ("西村-z", west, west_cadre),
    ]:
        household = Household.objects.create(number=number, village=village, head_name="李四")
        Pairing.objects.create(household=household, cadre=who, start=PAIRED_SINCE)
    handed = Household.objects.create(number="东村-002", village=east, head_name="赵六")
    Pairing.objects.create(
        household=handed,
        cadre=cadre,
        start=datetime.date(2025, 6, 1),
        end=datetime.date(2026, 5, 15),
    )
    Pairing.objects.create(household=handed, cadre=west_cadre, start=datetime.date(2026, 5, 16))
    first = Household.objects.get(number="东村-001")
    for on in (datetime.date(2026, 2, 3), datetime.date(2026, 8, 20)):
        visit_record(
            household=first,
            cadre=cadre,
            kind=Visit.Kind.HOME,
            on=on,
            content="入户了解收入和就医情况",
        )
    category = ProblemCategory.objects.filter(department__name="民政科").first()
    for _twice in range(2):
        problem_report(
            household=first,
            category=category,
            description="低保待遇未落实",
            found_on=datetime.date(2026, 3, 1),
        )
    return town


def _pages_equal_the_whole(user, as_of, filters, due_before=None):
    whole = obligations.overdue_items(user=user, as_of=as_of, since=SINCE, filters=filters)
    if due_before is not None:
        whole = [item for item in whole if item.due < due_before]
    for end in [0, 1, *range(STEP, len(whole) + STEP + 1, STEP)]:
        page = obligations.overdue_page(
            user=user, as_of=as_of, since=SINCE, filters=filters, end=end, due_before=due_before
        )
        assert page == (whole[:end], len(whole)), end
    return whole


@pytest.mark.parametrize(
    "who, filters, due_before",
    [
        ("inspector", Filters(), None),
        ("inspector", Filters(), datetime.date(2026, 6, 1)),
        ("inspector", Filters(village="东村"), None),
        ("inspector", Filters(cadre="west_pairing"), None),
        ("inspector", Filters(rule="pairing.phone_contact"), None),
        ("inspector", Filters(article=39), None),
        ("east_cadre", Filters(), None),
        ("pairing", Filters(), None),
        ("west_pairing", Filters(), None),
        ("dept", Filters(), None),
        ("outsider", Filters(), None),
    ],
)
def test_every_page_is_the_whole_lists_slice(ties, who, filters, due_before):
    whole = _pages_equal_the_whole(ties[who], AS_OF, filters, due_before)
    if who == "inspector" and filters == Filters() and due_before is None:
        # the case is not trivial: runs of one due day across rules and households, the
        # numbers in code-point order, the two problems alike
        numbers = [i.household for i in whole if (i.rule, i.period) == (PHONE, "2026-01")]
        assert numbers == sorted(numbers) and {"A-1", "东村-a", "西村-z"} <= set(numbers)
        assert len({obligations.sort_key(i) for i in whole}) < len(whole)


def test_the_pages_as_of_today_are_the_whole_lists_slices(ties, today):
    # As of today no visit can have been entered after it: the rows carry no entry time.
    _pages_equal_the_whole(ties["inspector"], today, Filters())


def _context(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, {"as_of": AS_OF.isoformat(), **params})
    assert response.status_code == 200
    return response


def test_each_page_of_the_list_shows_the_whole_lists_slice(client, ties, monkeypatch):
    from dashboard import views

    size = 40
    monkeypatch.setattr(views, "PAGE_SIZE", size)
    user = ties["inspector"]
    whole = obligations.overdue_items(user=user, as_of=AS_OF, since=SINCE)
    pages = -(-len(whole) // size)
    url = reverse("dashboard:items")
    for number in range(1, pages + 1):
        context = _context(client, user, url, page=str(number)).context
        assert context["total"] == len(whole)
        assert list(context["page"].object_list) == whole[(number - 1) * size : number * size]
    # A page past the end, or not a number, shows the last or the first, as Django's does.
    last = _context(client, user, url, page=str(pages + 3)).context["page"]
    assert (last.number, list(last.object_list)) == (pages, whole[(pages - 1) * size :])
    assert _context(client, user, url, page="x").context["page"].number == 1
    assert _context(client, user, url, page="0").context["page"].number == pages


def test_an_empty_list_has_one_empty_page(client, ties):
    context = _context(client, ties["outsider"], reverse("dashboard:items")).context
    assert (context["total"], list(context["page"].object_list)) == (0, [])


def test_the_paged_list_reads_as_the_whole_list(ties):
    from dashboard import selectors

    user = ties["inspector"]
    query = selectors.parse_query({"as_of": AS_OF.isoformat()}, today=AS_OF)
    whole = selectors.overdue(user, query)
    paged = selectors.OverdueList(user, query, reach=STEP)
    assert (paged[STEP + 1], paged[:3], len(paged)) == (whole[STEP + 1], whole[:3], len(whole))
    assert list(paged) == whole
    with pytest.raises(IndexError):
        paged[-1]


def test_the_jsons_pages_are_the_whole_jsons_slices(client, ties):
    user = ties["pairing"]
    url = reverse("dashboard:overdue_json")
    whole = _context(client, user, url).json()["items"]
    for offset in range(0, len(whole) + STEP, STEP):
        page = _context(client, user, url, offset=str(offset), limit=str(STEP)).json()
        assert page["items"] == whole[offset : offset + STEP]
        assert (page["total"], page["offset"], page["limit"]) == (len(whole), offset, STEP)


def test_a_cadres_record_shows_the_first_of_their_items(client, ties, monkeypatch):
    from dashboard import views

    monkeypatch.setattr(views, "PAGE_SIZE", STEP)
    user = ties["inspector"]
    whole = obligations.overdue_items(
        user=user, as_of=AS_OF, since=SINCE, filters=Filters(cadre="pairing")
    )
    response = _context(client, user, reverse("dashboard:person", args=["pairing"]))
    assert response.context["total"] == len(whole) > STEP
    assert [row[0] for row in response.context["items"]] == whole[:STEP]


# Each rule asked once, whatever the page and the data (tests/dashboard/test_pages.py says what
# each rule asks); on PostgreSQL a scope short of the whole town reads its household ids first
# (one more, for both visit rules: read once for the page). assessment.due reads no assessment
# here: no household can be listed; a cadre's narrows by the reach's household ids (one more).
# The two 公示 rules read the projects once for the page.
@pytest.mark.parametrize(
    "who, url, params, sqlite, postgresql",
    [
        ("inspector", "dashboard:items", {}, 40, 40),
        ("inspector", "dashboard:items", {"page": "2"}, 40, 40),
        ("inspector", "dashboard:overdue_json", {"limit": "50"}, 35, 35),
        ("pairing", "dashboard:overdue_json", {"limit": "50"}, 29, 30),
    ],
)
@pytest.mark.cold
def test_a_page_costs_the_same_queries_whatever_the_data(
    client, ties, east, west, who, url, params, sqlite, postgresql, django_assert_num_queries
):
    from django.db import connection

    expected = {"sqlite": sqlite, "postgresql": postgresql}[connection.vendor]
    client.force_login(ties[who])
    for grow in (False, True):
        if grow:
            more_households(east, ties["pairing"].cadre, 30, "东村-X")
            more_households(west, ties["west_pairing"].cadre, 30, "西村-X")
        client.get(reverse(url), {"as_of": AS_OF.isoformat(), **params})  # warm: session, caches
        with django_assert_num_queries(expected):
            response = client.get(reverse(url), {"as_of": AS_OF.isoformat(), **params})
        assert response.status_code == 200
