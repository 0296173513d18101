"""The inspector's and leader's desk: scoped name suggestions for the filters, full rankings with
paging, a person's record (履职档案), approvals in one action each."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from duties.models import Article, Department
from households.models import HelpPlan, PlanStep
from oversight.models import Accountability, Commendation, Finding, Inspection
from tests.conftest import make_user
from tests.dashboard.conftest import AS_OF, PAIRING_ITEMS_PER_HOUSEHOLD, more_households
from xigang import roles

D = datetime.date
Q = {"as_of": AS_OF.isoformat()}


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, {**Q, **params})


def _queries(client, url, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {**Q, **params})
    assert response.status_code == 200
    return len(captured)


# --- suggestions ------------------------------------------------------------------------------


def test_cadre_suggestions_are_names_within_scope(client, town):
    found = _get(client, town["inspector"], reverse("dashboard:suggest", args=["cadre"]), q="pair")
    values = {row["value"] for row in found.json()["results"]}
    assert {"pairing", "west_pairing"} <= values
    # A village cadre is offered their village's cadres only: never the other village's.
    found = _get(client, town["east_cadre"], reverse("dashboard:suggest", args=["cadre"]), q="p")
    values = {row["value"] for row in found.json()["results"]}
    assert "pairing" in values and "west_pairing" not in values
    villages = _get(
        client, town["east_cadre"], reverse("dashboard:suggest", args=["village"]), q="村"
    )
    assert [row["value"] for row in villages.json()["results"]] == ["东村"]


def test_a_cadre_filter_typed_as_a_name_lists_that_cadres_items(client, town):
    town["pairing"].cadre.name = "王帮扶"
    town["pairing"].cadre.save()
    page = _get(client, town["inspector"], reverse("dashboard:items"), cadre="王帮扶")
    html = page.content.decode()
    shown = re.search(r'id="item-count">\D*(\d+)', html)
    assert shown and int(shown.group(1)) == PAIRING_ITEMS_PER_HOUSEHOLD
    assert "东村-001" in html and "西村-001" not in html
    assert 'value="王帮扶"' in html and "用户名" not in html


# --- rankings ---------------------------------------------------------------------------------


def _ranked(html):
    found = re.search(r"共 (\d+) 个", html)
    assert found
    return int(found.group(1))


def test_a_full_ranking_pages_through_every_cadre(client, town, east):
    client.force_login(town["inspector"])
    url = reverse("dashboard:ranking", args=["cadre"])
    before = _ranked(client.get(url, Q).content.decode())
    for n in range(60):
        cadre = make_user(f"c{n:02d}", roles.PAIRING, east, name=f"干部{n:02d}").cadre
        more_households(east, cadre, 1, f"东村-R{n:02d}")
    first = client.get(url, Q).content.decode()
    assert _ranked(first) == before + 60 and "第 1 页，共 2 页" in first
    assert first.count("<tr>") - 1 == 50
    second = client.get(url, {**Q, "page": 2}).content.decode()
    assert second.count("<tr>") - 1 == before + 60 - 50
    assert reverse("dashboard:person", args=["c00"]) in first + second


@pytest.mark.cold
def test_a_ranking_takes_a_constant_number_of_queries(client, town, east):
    client.force_login(town["inspector"])
    url = reverse("dashboard:ranking", args=["village"])
    client.get(url, Q)
    small = _queries(client, url)
    more_households(east, town["pairing"].cadre, 30, "东村-X")
    assert _queries(client, url) == small
    assert client.get(reverse("dashboard:ranking", args=["nothing"])).status_code == 404


# --- a person's record --------------------------------------------------------------------------


@pytest.fixture
def on_record(town):
    cadre = town["pairing"].cadre
    inspection = Inspection.objects.create(
        title="专项检查", department=Department.objects.get(name="督查科"), started_on=D(2026, 4, 1)
    )
    finding = Finding.objects.create(
        inspection=inspection,
        article=Article.objects.get(number=39),
        description="帮扶记录不全",
        found_on=D(2026, 5, 1),
        deadline=D(2026, 5, 31),
        cadre=cadre,
    )
    Accountability.objects.create(
        finding=finding,
        cadre=cadre,
        measure="批评教育",
        decided_on=D(2026, 6, 1),
        reason="走访不到位",
    )
    Commendation.objects.create(cadre=cadre, reason="帮扶成效明显", awarded_on=D(2026, 10, 1))
    return cadre


def test_the_person_page_shows_items_findings_measures_and_commendations(client, town, on_record):
    html = _get(client, town["inspector"], reverse("dashboard:person", args=["pairing"]))
    html = html.content.decode()
    for shown in ("履职档案", "帮扶记录不全", "逾期未整改", "批评教育", "帮扶成效明显", "待审批"):
        assert shown in html, shown
    assert "东村-001" in html and "西村-001" not in html


def test_the_person_page_is_scoped(client, town, on_record):
    client.force_login(town["west_cadre"])
    assert client.get(reverse("dashboard:person", args=["pairing"])).status_code == 404
    assert client.get(reverse("dashboard:person", args=["nobody"])).status_code == 404
    client.force_login(town["east_cadre"])
    assert client.get(reverse("dashboard:person", args=["pairing"])).status_code == 200


@pytest.mark.cold
def test_the_person_page_takes_a_constant_number_of_queries(client, town, on_record, east):
    client.force_login(town["inspector"])
    url = reverse("dashboard:person", args=["pairing"])
    client.get(url, Q)
    small = _queries(client, url)
    more_households(east, town["pairing"].cadre, 20, "东村-X")
    Commendation.objects.create(cadre=on_record, reason="再次表扬", awarded_on=D(2026, 11, 1))
    assert _queries(client, url) == small


# --- approvals ----------------------------------------------------------------------------------


def test_a_leader_approves_a_plan_with_one_button(client, town, east_household, west_household):
    plan = HelpPlan.objects.create(household=east_household, year=2026, summary="产业扶贫")
    PlanStep.objects.create(plan=plan, step="village", done_on=D(2026, 3, 1))  # 村级审核 first
    HelpPlan.objects.create(household=west_household, year=2026, approved_on=D(2026, 3, 1))
    client.force_login(town["leader"])
    page = client.get(reverse("dashboard:approvals")).content.decode()
    assert "东村-001" in page and "西村-001" not in page  # approved: not pending
    response = client.post(reverse("dashboard:plan_approve", args=[plan.pk]))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.approved_on == AS_OF + datetime.timedelta(days=1)  # today
    assert plan.approved_by == town["leader"] and plan.approved_at is not None
    # Twice: refused with a message, the first approval stands.
    again = client.post(reverse("dashboard:plan_approve", args=[plan.pk]), follow=True)
    assert "已于2026-11-30批准" in again.content.decode()


def test_a_leader_approves_a_commendation_with_one_button(client, town, on_record):
    commendation = Commendation.objects.get()
    client.force_login(town["leader"])
    assert "帮扶成效明显" in client.get(reverse("dashboard:approvals")).content.decode()
    client.post(reverse("dashboard:commendation_approve", args=[commendation.pk]))
    commendation.refresh_from_db()
    assert commendation.approved_by == town["leader"]
    assert "帮扶成效明显" not in client.get(reverse("dashboard:approvals")).content.decode()


def test_the_office_approves_plans_but_not_commendations(client, town, east_household, on_record):
    plan = HelpPlan.objects.create(household=east_household, year=2026)
    PlanStep.objects.create(plan=plan, step="village", done_on=D(2026, 3, 1))
    commendation = Commendation.objects.get()
    client.force_login(town["office"])
    page = client.get(reverse("dashboard:approvals")).content.decode()
    assert "东村-001" in page and "帮扶成效明显" not in page
    url = reverse("dashboard:commendation_approve", args=[commendation.pk])
    assert client.post(url).status_code == 403
    client.post(reverse("dashboard:plan_approve", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.approved_by == town["office"]


def test_approving_is_for_leaders_only(client, town, east_household, on_record):
    plan = HelpPlan.objects.create(household=east_household, year=2026)
    commendation = Commendation.objects.get()
    for name in ("inspector", "dept", "east_cadre", "pairing", "outsider"):
        client.force_login(town[name])
        assert client.get(reverse("dashboard:approvals")).status_code == 403, name
        assert client.post(reverse("dashboard:plan_approve", args=[plan.pk])).status_code == 403
        response = client.post(reverse("dashboard:commendation_approve", args=[commendation.pk]))
        assert response.status_code == 403
    plan.refresh_from_db()
    commendation.refresh_from_db()
    assert plan.approved_on is None and commendation.approved_at is None


def test_the_approvals_page_takes_a_constant_number_of_queries(client, town, east_household, east):
    client.force_login(town["leader"])
    plan = HelpPlan.objects.create(household=east_household, year=2026)
    PlanStep.objects.create(plan=plan, step="village", done_on=D(2026, 3, 1))
    client.get(reverse("dashboard:approvals"))
    small = _queries(client, reverse("dashboard:approvals"))
    more_households(east, town["pairing"].cadre, 20, "东村-X")
    for household in east.households.all():
        plan = HelpPlan.objects.get_or_create(household=household, year=2025)[0]
        PlanStep.objects.get_or_create(plan=plan, step="village", done_on=D(2025, 3, 1))
    assert _queries(client, reverse("dashboard:approvals")) == small
