"""The pairing cadre's home: households worst first, each saying why; one tap to an entry with
today's date and the kind owed; the line updated after saving; tap-to-call; duplicates refused in
Chinese; a fixed number of queries."""

import datetime
import re

import pytest
from django.db import connection
from django.urls import reverse

from households.models import Household, Pairing
from visits.models import Visit
from visits.services import visit_record

D = datetime.date
CONTENT = "入户了解务工和就医情况，宣传政策"  # what was done, in more than a few words
pytestmark = pytest.mark.usefixtures("today")  # 2026-11-30: November and Q4 are pending

DONE = "询问近况，了解生产生活情况"  # visits require what was done (issue 12)


@pytest.fixture
def three(east, pairing, east_household):
    """东村-001 owes everything since January; 东村-002 met every past period but owes this
    quarter's home visit; 东村-003 met everything, this month and quarter included."""
    cadre = pairing.cadre
    second = Household.objects.create(
        number="东村-002", village=east, head_name="王五", phone="13800000002"
    )
    third = Household.objects.create(number="东村-003", village=east, head_name="赵六")
    for household in (second, third):
        Pairing.objects.create(household=household, cadre=cadre, start=D(2026, 1, 1))
        for month in range(1, 10):
            visit_record(
                household=household, cadre=cadre, kind="入户", on=D(2026, month, 5), content=DONE
            )
    for month in (10, 11):
        visit_record(household=second, cadre=cadre, kind="电话", on=D(2026, month, 5), content=DONE)
        visit_record(household=third, cadre=cadre, kind="入户", on=D(2026, month, 5), content=DONE)
    return east_household, second, third


def _lines(html):
    return re.findall(r'<span class="number">([^<]+)</span>', html)


def test_households_are_listed_worst_first_each_saying_why(client, pairing, three):
    client.force_login(pairing)
    html = client.get(reverse("home")).content.decode()
    assert _lines(html) == ["东村-001", "东村-002", "东村-003"]
    first, second, third = re.split(r'<article class="card household', html)[1:]
    assert "2026-10：当期没有电话联系或入户走访记录" in first
    assert "2026-Q3：当期没有入户走访记录（电话联系不计入）" in first
    assert "逾期" in first and "今天的联系只计入本期" in html
    assert "2026-Q4：本期尚无入户走访记录（电话联系不计入）（2026-12-31 前完成）" in second
    assert "逾期" not in second and "本期尚无电话" not in second
    assert "本期应做的联系都已完成" in third
    assert 'href="tel:13800000002"' in second and "拨打 13800000002" in second


def test_one_tap_opens_the_entry_with_today_and_the_kind_owed(client, pairing, three):
    client.force_login(pairing)
    html = client.get(reverse("visits:my_households")).content.decode()
    first_url = re.search(r'id="hh-%d".*?href="([^"]+)"' % three[0].pk, html, re.S).group(1)
    assert first_url.endswith("?kind=%E5%85%A5%E6%88%B7")  # 入户: the quarter's visit is owed
    assert "登记入户走访" in html
    form = client.get(first_url.replace("&amp;", "&")).content.decode()
    assert re.search(r'<input type="date" name="on" value="2026-11-30"', form)
    assert re.search(r'value="入户"[^>]*checked', form)
    phone_url = reverse("visits:visit_new", args=[three[0].pk]) + "?kind=电话"
    assert re.search(r'value="电话"[^>]*checked', client.get(phone_url).content.decode())


def test_after_saving_the_household_line_is_updated_at_once(client, pairing, three):
    client.force_login(pairing)
    second = three[1]
    url = reverse("visits:visit_new", args=[second.pk])
    response = client.post(url, {"kind": "入户", "on": "2026-11-30", "content": CONTENT})
    home = reverse("visits:my_households")
    assert response.status_code == 302
    assert response["Location"] == f"{home}?saved={second.pk}#hh-{second.pk}"
    html = client.get(response["Location"]).content.decode()
    line = re.search(r'<article class="([^"]*)" id="hh-%d">(.*?)</article>' % second.pk, html, re.S)
    assert "saved" in line.group(1)
    assert "2026-Q4" not in line.group(2) and "本期应做的联系都已完成" in line.group(2)
    assert "已登记 2026-11-30 对 东村-002 的入户走访" in html


def test_a_duplicate_visit_is_refused_in_chinese(client, pairing, three):
    client.force_login(pairing)
    url = reverse("visits:visit_new", args=[three[2].pk])
    data = {"kind": "入户", "on": "2026-11-05", "content": CONTENT}
    html = client.post(url, data).content.decode()
    assert "这条联系已经登记过" in html
    assert "already exists" not in html and "已存在" not in html
    assert 'value="2026-11-05"' in html  # the form shown again keeps its date
    assert Visit.objects.filter(household=three[2], on=D(2026, 11, 5)).count() == 1


def test_the_dates_of_the_form_are_iso_under_chinese(client, pairing, east_household):
    """<input type=date> takes YYYY-MM-DD only: 2026/11/30 would be shown blank."""
    client.force_login(pairing)
    url = reverse("visits:visit_new", args=[east_household.pk])
    assert 'value="2026-11-30"' in client.get(url).content.decode()
    data = {"kind": "入户", "on": "2026-12-31", "content": CONTENT}
    html = client.post(url, data).content.decode()
    assert 'value="2026-12-31"' in html and "2026/12/31" not in html


def _count(client, user, url, django_assert_num_queries, expected):
    client.force_login(user)
    client.get(url)  # warm: the session, and the day's duty obligations generated once
    with django_assert_num_queries(expected) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# Session and user (2), scope (groups, village and department grants, cadre: 4), the cadre (1),
# the households with their last dates (1), the rules' parameters (1, read once for the page);
# the engine's overdue list and then its pending list, each its fixed set (home visit and phone
# contact: the statement and the cadres' names, on PostgreSQL the scope's household ids first,
# once for the page; member changes, problems, 救急难 cases, findings and oversight's rules, the
# duties' generation checks (once for the page), the 两不愁三保障 and 一户一策 rules; 两不愁三保障
# reads no assessment here: no household can be listed, but narrows by the reach's household
# ids, read once for the page: households/scopes.answer_households); the menu's permissions,
# roles and unread messages (3). The session is saved at most once a minute: not here, after
# the warming request.
HOME_QUERIES = {"sqlite": 50, "postgresql": 51}


@pytest.mark.cold
def test_the_home_runs_a_fixed_number_of_queries(client, pairing, three, django_assert_num_queries):
    expected = HOME_QUERIES[connection.vendor]
    url = reverse("home")
    small = _count(client, pairing, url, django_assert_num_queries, expected)
    for n in range(20):
        household = Household.objects.create(
            number=f"东村-X{n:02d}", village=three[0].village, head_name="某", phone="138"
        )
        Pairing.objects.create(household=household, cadre=pairing.cadre, start=D(2026, 1, 1))
    assert _count(client, pairing, url, django_assert_num_queries, expected) == small


# Session and user (2), the cadre (1), scope (groups, village and department grants, cadre: 4),
# the household (1), the permissions (1), the menu's roles and unread messages (2), the problem
# categories (1). Nothing depends on the number of households or visits.
ENTRY_QUERIES = {"sqlite": 12, "postgresql": 12}


def test_the_entry_runs_a_fixed_number_of_queries(
    client, pairing, three, django_assert_num_queries
):
    url = reverse("visits:visit_new", args=[three[0].pk]) + "?kind=入户"
    expected = ENTRY_QUERIES[connection.vendor]
    _count(client, pairing, url, django_assert_num_queries, expected)
