"""A department's desk: its duties first, the problems routed to it, the pairing items in its
reach summarised per cadre; and one window for "overdue" on the dashboard and 责任任务 page."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from duties.models import Obligation
from tests.dashboard.conftest import AS_OF, PAIRING_ITEMS_PER_HOUSEHOLD, more_households
from visits.models import ProblemCategory
from visits.services import problem_report
from xigang import obligations
from xigang.obligations import Filters
from xigang.overdue_query import default_since

Q = {"as_of": AS_OF.isoformat()}


@pytest.fixture
def routed(town, east_household, civil_affairs):
    """A problem of 东村-001 routed to 民政科: the household enters the department's reach."""
    category = ProblemCategory.objects.filter(department=civil_affairs).first()
    if category is None:
        pytest.skip("no problem category routed to 民政科")
    problem_report(
        household=east_household,
        category=category,
        description="住房漏雨",
        found_on=datetime.date(2026, 9, 1),
    )
    return town


def _home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"), Q)
    assert response.status_code == 200
    return response.content.decode()


def test_the_department_desk_puts_its_duties_first_and_sums_pairing_items_per_cadre(client, routed):
    html = _home(client, routed["dept"])
    duties, problems, cadres = (
        html.index("本单位责任事项"),
        html.index("转办本部门的问题"),
        html.index("帮扶责任人走访和电话联系"),
    )
    assert duties < problems < cadres
    assert "住房漏雨" in html
    # One line for the cadre with the count and a link to their items, no card per household.
    assert f">{PAIRING_ITEMS_PER_HOUSEHOLD}</a>" in html
    assert "cadre=pairing" in html
    assert 'class="card household"' not in html
    assert "西村-001" not in html and "west_pairing" not in html


@pytest.mark.cold
def test_the_department_desk_does_not_grow_with_the_households(client, routed, east):
    client.force_login(routed["dept"])
    client.get(reverse("home"), Q)
    with CaptureQueriesContext(connection) as small:
        before = client.get(reverse("home"), Q).content.decode()
    more_households(east, routed["pairing"].cadre, 30, "东村-X")
    with CaptureQueriesContext(connection) as large:
        after = client.get(reverse("home"), Q).content.decode()
    assert len(small) == len(large)
    assert len(after) == len(before)  # the new households are out of the department's reach


def test_the_duties_page_counts_overdue_in_the_dashboards_window(client, dept, today):
    client.force_login(dept)
    client.get(reverse("duties:obligation_list"))  # generates the periods up to today
    since = default_since(today)
    on_dashboard = obligations.overdue_items(
        user=dept, as_of=today, since=since, filters=Filters(rule="duty.scheduled")
    )
    # Open and late before the window: not "overdue" on either page.
    older = Obligation.objects.filter(
        department__name="民政科", status="open", due__lt=today, period_start__lt=since
    )
    assert older.exists()
    page = client.get(reverse("duties:obligation_list"), {"status": "overdue"}).content.decode()
    assert f"已逾期 {len(on_dashboard)}" in page
    assert since.isoformat() in page  # the window is said
    assert page.count("· 已逾期") == min(len(on_dashboard), 50)
    # The open list starts with the oldest, from before the window: listed, not marked late.
    oldest = client.get(reverse("duties:obligation_list"), {"status": "open"}).content.decode()
    assert older.order_by("due", "id").first().period_label in oldest
    assert "· 已逾期" not in oldest
