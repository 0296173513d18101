"""The dashboard pages by role, the drill-down list, its export, a household's page."""

import datetime
import io
import urllib.parse

import openpyxl
import pytest
from django.urls import reverse

from tests.dashboard.conftest import AS_OF, more_households
from visits.models import ProblemCategory, Visit
from visits.services import problem_report, visit_record

Q = {"as_of": AS_OF.isoformat()}


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, {**Q, **params})


def test_anonymous_visitors_are_sent_to_sign_in(client, town):
    for url in (reverse("home"), reverse("dashboard:items"), reverse("dashboard:items_xlsx")):
        response = client.get(url, Q)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_town_sees_counts_rankings_and_trend(client, town):
    html = _get(client, town["inspector"], reverse("home")).content.decode()
    # The tiles by obligation: 3 quarters and 10 months for each of the two households.
    assert '<span class="n overdue">6</span><span class="label">每季度入户走访</span>' in html
    assert '<span class="n overdue">20</span><span class="label">每月电话联系</span>' in html
    # Rankings link to the list behind each number; both villages and both cadres are there.
    assert "village=%E4%B8%9C%E6%9D%91" in html  # 东村
    assert "village=%E8%A5%BF%E6%9D%91" in html  # 西村
    assert "cadre=west_pairing" in html and "cadre=pairing" in html
    assert "第39条" in html
    # The trend: 12 month columns, 2025-12 .. 2026-11, drawn as inline SVG.
    assert html.count("due_before=") == 12
    assert "近12个月各月末逾期事项数" in html
    assert "每月新增与办结" in html and html.count('<th scope="row">2026-') == 11
    assert "<svg" in html and "<script" not in html and 'style="' not in html


def test_the_trend_counts_what_was_overdue_at_each_month_end(client, town):
    from dashboard import selectors
    from xigang import obligations

    phone = "pairing.phone_contact"
    items = obligations.overdue_items(
        user=town["office"],
        as_of=AS_OF,
        since=datetime.date(2025, 10, 1),
        filters=obligations.Filters(rule=phone),
    )
    tallies = obligations.tally(items)
    points = {label: count for label, _cut, count in selectors.trend(tallies, AS_OF)}
    # Per household: on 2026-01-31 month 01 is not over yet; on 2026-02-28 month 01 is late;
    # on 2026-03-31 months 01 and 02 (03 ends that very day); as of 2026-11-29 months 01-10.
    assert points["2025-12"] == 0
    assert points["2026-01"] == 0
    assert points["2026-02"] == 2
    assert points["2026-03"] == 4
    assert points["2026-04"] == 6
    assert points["2026-11"] == 20
    # Opened and closed per month: two households' contacts fall overdue each month from
    # 2026-02 on, none is closed; each month-end is the one before plus opened minus closed.
    flow = selectors.flow(tallies, AS_OF)
    assert [(label, opened, closed) for label, opened, closed in flow][:3] == [
        ("2025-12", 0, 0),
        ("2026-01", 0, 0),
        ("2026-02", 2, 0),
    ]
    assert {opened for label, opened, _closed in flow if label >= "2026-02"} == {2}
    counts = [points[label] for label, _o, _c in flow]
    assert all(
        later == earlier + opened - closed
        for earlier, later, (_label, opened, closed) in zip(
            counts, counts[1:], flow[1:], strict=False
        )
    )
    # A column's drill-down shows the same number of items.
    cut = dict((label, cut) for label, cut, _n in selectors.trend(tallies, AS_OF))["2026-04"]
    html = _get(
        client, town["office"], reverse("dashboard:items"), due_before=cut.isoformat(), rule=phone
    )
    assert "逾期事项 6 项" in html.content.decode()


def test_a_pairing_cadre_sees_own_households_with_a_visit_link(client, town, east_household):
    html = _get(client, town["pairing"], reverse("home")).content.decode()
    assert "东村-001" in html and "西村-001" not in html
    assert reverse("visits:visit_new", kwargs={"household_id": east_household.pk}) in html
    # The cadre's home (visits' my_households) counts as of today, 2026-11-30, whatever the
    # query's as_of: 2026-Q1's home visit, due 2026-03-31, is 244 days late.
    assert "逾期 244 天" in html
    assert "即将到期" not in html or "前完成" in html


def test_a_village_cadre_sees_own_village_only(client, town):
    html = _get(client, town["west_cadre"], reverse("home")).content.decode()
    assert "西村-001" in html and "东村-001" not in html


def test_a_department_sees_its_routed_problems(client, town, east_household, civil_affairs):
    category = ProblemCategory.objects.filter(department=civil_affairs).first()
    if category is None:
        pytest.skip("no problem category routed to 民政科")
    problem_report(
        household=east_household,
        category=category,
        description='=HYPERLINK("http://x")住房漏雨',
        found_on=datetime.date(2026, 9, 1),
    )
    html = _get(client, town["dept"], reverse("home")).content.decode()
    assert "住房漏雨" in html and "东村-001" in html
    assert "西村-001" not in html
    # Exported formula-safe: the description stays text.
    response = _get(client, town["dept"], reverse("dashboard:items_xlsx"), rule="problem.resolve")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    subjects = [row[-1] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert any("住房漏雨" in s for s in subjects)
    assert not any(str(s).startswith("=") for s in subjects)


def test_the_list_filters_and_exports_what_it_shows(client, town):
    response = _get(
        client,
        town["inspector"],
        reverse("dashboard:items"),
        village="西村",
        rule="pairing.home_visit",
    )
    html = response.content.decode()
    assert "逾期事项 3 项" in html
    assert "西村-001" in html and "东村-001" not in html
    assert 'name="village" list="f-villages" autocomplete="off" value="西村"' in html
    response = _get(
        client,
        town["inspector"],
        reverse("dashboard:items_xlsx"),
        village="西村",
        rule="pairing.home_visit",
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][0] == "逾期事项"
    header = rows[2]
    assert header[0] == "规则" and "户编号" in header
    data = rows[3:]
    # the rule by its name, the filter said in the title line and the file name
    assert [(r[0], r[2], r[header.index("户编号")]) for r in data] == [
        ("每季度入户走访", "2026-Q1", "西村-001"),
        ("每季度入户走访", "2026-Q2", "西村-001"),
        ("每季度入户走访", "2026-Q3", "西村-001"),
    ]
    assert rows[1][0].startswith("筛选：西村、每季度入户走访；")
    assert isinstance(data[0][header.index("应完成日期")], datetime.datetime)
    assert "西村" in urllib.parse.unquote(response["Content-Disposition"])


def test_a_long_list_comes_a_page_at_a_time_and_exports_whole(client, town, east):
    # 30 more households in 东村: 31 x 13 = 403 pairing items, 5 pages of 100 at most.
    more_households(east, town["pairing"].cadre, 30, "东村-X")
    params = {"village": "东村", "rule": "pairing.phone_contact"}  # 31 x 10 = 310 items
    first = _get(client, town["inspector"], reverse("dashboard:items"), **params).content.decode()
    assert "逾期事项 310 项" in first
    assert first.count('<tr>\n<td class="overdue"') == 100
    assert "第 1 页，共 4 页" in first
    # The next page keeps the filters.
    assert "village=%E4%B8%9C%E6%9D%91&amp;rule=pairing.phone_contact&amp;page=2" in first
    last = _get(
        client, town["inspector"], reverse("dashboard:items"), page="4", **params
    ).content.decode()
    assert last.count('<tr>\n<td class="overdue"') == 10
    assert "第 4 页，共 4 页" in last and 'rel="next"' not in last
    response = _get(client, town["inspector"], reverse("dashboard:items_xlsx"), **params)
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert len(rows[3:]) == 310


def test_an_export_never_leaves_the_scope(client, town):
    response = _get(client, town["east_cadre"], reverse("dashboard:items_xlsx"), village="西村")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[3:] == []


def test_a_bad_date_on_a_page_answers_400_in_chinese(client, town):
    response = _get(client, town["office"], reverse("dashboard:items"), as_of="2026-02-30")
    assert response.status_code == 400
    assert "截止日期「2026-02-30」不是日期" in response.content.decode()


def test_a_household_page_is_404_out_of_scope(client, town, east_household):
    url = reverse("dashboard:household", args=["东村-001"])
    assert _get(client, town["west_cadre"], url).status_code == 404
    assert _get(client, town["west_pairing"], url).status_code == 404
    assert (
        _get(
            client, town["west_cadre"], reverse("dashboard:household", args=["无此户"])
        ).status_code
        == 404
    )
    html = _get(client, town["east_cadre"], url).content.decode()
    assert "张三" in html and "2026-Q3" in html


def test_a_visit_clears_the_households_item(client, town, east_household):
    url = reverse("dashboard:household", args=["东村-001"])
    assert "2026-Q2" in _get(client, town["pairing"], url).content.decode()
    visit_record(
        household=east_household,
        cadre=town["pairing"].cadre,
        kind=Visit.Kind.HOME,
        on=datetime.date(2026, 5, 20),
        content="入户了解收入和就医情况",
    )
    html = _get(client, town["pairing"], url, rule="pairing.home_visit").content.decode()
    assert "2026-Q2" not in html and "2026-Q1" in html


# --- a fixed number of queries whatever the data size --------------------------------------


def _count_queries(client, user, url, django_assert_max_num_queries, limit, **params):
    client.force_login(user)
    client.get(url, {**Q, **params})  # warm: sessions, content types, caches
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(url, {**Q, **params})
    assert response.status_code == 200
    return len(captured.captured_queries)


# Measured on PostgreSQL: inspector's home 72 queries (SQLite too), a pairing cadre's 89, a village cadre's 105
# (SQLite: up to 4 fewer). Per request: session and user (2), the scope (groups, village and
# department grants, cadre: 4), then the engine's fixed set per rule: home visit and phone contact
# (their frequency, the one statement and the cadres' names: 3 each; on PostgreSQL, for a scope
# short of the whole town, the ids of its households first: 4), member changes (+ its parameter),
# problems, emergency cases (+ its parameter), findings, scheduled duties and 公示 (generation
# mark, schedule and village signatures, parameter), pairing gaps (parameter, pairings: 2; for a
# scope without a village the parameter alone), the 两不愁三保障 rules (assessment.due: its
# parameters, the households, their assessment and change days, the cadres paired when items
# exist: 3-4; assessment.gap: 1), the 第一书记's dispatch and spot check (their
# parameters, the register: 2 each, the checks when a 第一书记 is in scope), the 一户一策 rules
# (plan.exists and plan.review: parameter, scope's household ids short of the whole town,
# pairings, approved plans, review steps for plan.review; measure.deliver: 1), the projects' rules
# (1 each for a user with a village or department); cadres and units run
# the engine's pending list too (the same set again, with each due-soon window: 1 more per rule
# that has one), the permission check for the visit link (2) and the listed households' ids (1);
# the whole town's trend the items met since by a late entry (`met_later`: 1 per visit rule, with
# its frequency: 2 each; problems, gaps, measures, findings, duties: 1 each; emergency cases: 2;
# each 第一书记 rule: 2; member changes entered late: 1; none for assessment.due and the plan
# rules, which count both in one pass, nor for the other rules whose late items stay listed) and the 补录 visits per village and per cadre (2); the header's unread messages (1, pages
# only); the session save at the end (3); projects and assets (1 per rule and list, none for a user of no
# village or department; their parameters only once a record is found).
@pytest.mark.parametrize(
    "who, url, limit",
    [
        ("inspector", "home", 72),
        ("pairing", "home", 89),  # the phone home (visits), pinned exactly in test_cadre_home.py
        ("east_cadre", "home", 105),
        ("dept", "home", 50),  # the desk of a department, its routed households read once
        ("inspector", "dashboard:items", 56),
        ("inspector", "dashboard:overdue_json", 51),
        ("pairing", "dashboard:overdue_json", 45),
    ],
)
@pytest.mark.cold
def test_query_counts_do_not_grow_with_the_data(
    client, town, east, west, who, url, limit, django_assert_max_num_queries
):
    small = _count_queries(client, town[who], reverse(url), django_assert_max_num_queries, limit)
    more_households(east, town["pairing"].cadre, 30, "东村-X")
    more_households(west, town["west_pairing"].cadre, 30, "西村-X")
    large = _count_queries(client, town[who], reverse(url), django_assert_max_num_queries, limit)
    assert large == small
