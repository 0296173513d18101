"""Records that hold as evidence (issue 12, points 1-3 and 9): entry times and authors set by
the server, lateness judged from them, 补录 and closed months, the past that does not move,
visit content, problem articles and 救急难 event dates."""

import datetime
import decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dashboard import selectors
from duties.models import Article, Department
from households.models import MemberChange
from households.services import member_change_record
from oversight.models import Finding, Inspection
from oversight.services import finding_rectify, finding_report
from tests.conftest import SHANGHAI, workbook
from tests.forms import shown_version
from visits.models import EmergencyCase, ProblemCategory, Visit
from visits.services import (
    emergency_aid,
    emergency_report,
    problem_report,
    problem_resolve,
    visit_record,
)
from xigang.ledgers import export_ledger, get_kind, import_ledger
from xigang.models import AuditEntry
from xigang.obligations import Filters, overdue_items

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("obligation_source")]

D = datetime.date
TEXT = "入户了解收入和就医情况"
SINCE = D(2026, 1, 1)


@pytest.fixture
def live(settings):
    """The town went live on 2026-01-01: records dated from then are judged by entry time."""
    settings.GO_LIVE = D(2026, 1, 1)
    return settings.GO_LIVE


def _at(time_machine, day, hour=12):
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(hour), SHANGHAI))


def _items(user, as_of, rule, **filters):
    return overdue_items(user=user, as_of=as_of, since=SINCE, filters=Filters(rule=rule, **filters))


def _phone_visit_refusals(client, tmp_path, pairing, household, *, on, content):
    """One phone visit by `pairing`, refused through the service, the cadre's form and a visits
    ledger: the service's errors, the form's page, the ledger's (header, message) pairs."""
    with pytest.raises(ValidationError) as refused:
        visit_record(
            household=household,
            cadre=pairing.cadre,
            kind=Visit.Kind.PHONE,
            on=on,
            content=content,
            entered_by=pairing,
        )
    client.force_login(pairing)
    page = client.post(
        reverse("visits:visit_new", args=[household.pk]),
        {"kind": "电话", "on": on.isoformat(), "content": content},
    ).content.decode()
    path = workbook(
        tmp_path / "v.xlsx",
        ["户编号", "帮扶责任人", "方式", "日期", "内容"],
        [[household.number, pairing.username, "电话", on, content]],
    )
    report = import_ledger(get_kind("visits")(pairing), path)
    return refused.value.message_dict, page, [(e.header, e.message) for e in report.errors]


# --- 9. visit content, problem articles, 救急难 event dates ---------------------------------

CONTENT_ERROR = "请写明谈了什么、做了什么：至少 10 个文字，不能只有标点（现有 2 个）"


@pytest.mark.usefixtures("today")
def test_visit_content_is_required_in_the_same_words_everywhere(
    tmp_path, client, office, pairing, east_household
):
    short = "好的。。。！！！……"
    service, page, ledger = _phone_visit_refusals(
        client, tmp_path, pairing, east_household, on=D(2026, 11, 20), content=short
    )
    assert service == {"content": [CONTENT_ERROR]}
    assert CONTENT_ERROR in page
    assert ledger == [("内容", CONTENT_ERROR)]
    client.force_login(office)
    page = client.post(
        reverse("admin:visits_visit_add"),
        {
            "household": east_household.pk,
            "cadre": pairing.cadre.pk,
            "kind": "电话",
            "on": "2026-11-20",
            "content": short,
        },
    ).content.decode()
    assert CONTENT_ERROR in page
    assert not Visit.objects.exists()


@pytest.mark.usefixtures("today")
def test_a_problem_item_cites_its_categorys_article(office, pairing, east_household):
    housing = ProblemCategory.objects.get(name="危房改造")  # art. 11
    problem_report(
        household=east_household, category=housing, description="房屋漏雨", found_on=D(2026, 9, 1)
    )
    items = _items(office, D(2026, 11, 30), "problem.resolve")
    assert [i.article for i in items] == [11]
    by_article = overdue_items(
        user=office, as_of=D(2026, 11, 30), since=SINCE, filters=Filters(article=11)
    )
    assert [i.article for i in by_article if i.rule == "problem.resolve"] == [11]
    assert not [
        i
        for i in overdue_items(
            user=office, as_of=D(2026, 11, 30), since=SINCE, filters=Filters(article=12)
        )
        if i.rule == "problem.resolve"
    ]


@pytest.mark.usefixtures("today")
def test_emergency_aid_runs_from_the_event_and_a_late_entry_is_marked(
    live, office, pairing, east_household
):
    case = emergency_report(
        household=east_household,
        cause=EmergencyCase.Cause.ILLNESS,
        expense=decimal.Decimal("30000"),
        occurred_on=D(2026, 11, 1),
        reported_on=D(2026, 11, 5),
        entered_by=office,
    )
    assert (case.late_entry, case.entered_by, case.cadre) == (True, office, pairing.cadre)
    [item] = _items(office, D(2026, 11, 30), "emergency.aid")
    assert (item.period_start, item.due, item.days_overdue) == (D(2026, 11, 1), D(2026, 11, 8), 22)
    assert item.late_entry and item.entered_at == case.created_at
    assert item.as_json()["late_entry"] is True
    with pytest.raises(ValidationError) as refused:
        emergency_report(
            household=east_household,
            cause=EmergencyCase.Cause.ILLNESS,
            expense=decimal.Decimal("100"),
            occurred_on=D(2026, 11, 10),
            reported_on=D(2026, 11, 9),
        )
    assert refused.value.message_dict == {"reported_on": ["救急难事件发生之前不能上报"]}


# --- 1. entry times: editing a typed date never clears a late item --------------------------


def test_a_late_member_change_report_stays_late_whatever_the_typed_date(
    tmp_path, time_machine, live, client, office, east_household
):
    _at(time_machine, D(2026, 11, 30))
    change = member_change_record(
        household=east_household,
        kind=MemberChange.Kind.BIRTH,
        name="张小宝",
        happened_on=D(2026, 9, 1),
        reported_on=D(2026, 9, 10),  # typed as in time; entered two months later
        reported_by=office,
    )
    as_of = D(2026, 11, 30)
    [item] = _items(office, as_of, "member_change.report")
    assert (item.due, item.days_overdue, item.late_entry) == (D(2026, 10, 1), 60, True)
    assert item.entered_at == change.created_at
    client.force_login(office)
    url = reverse("admin:households_memberchange_change", args=[change.pk])
    response = client.post(
        url,
        {"id_number": "", "reported_on": "2026-09-02", "_row_version": shown_version(client, url)},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    change.refresh_from_db()
    assert change.reported_on == D(2026, 9, 2)
    assert [i.days_overdue for i in _items(office, as_of, "member_change.report")] == [60]
    path = workbook(
        tmp_path / "c.xlsx",
        ["户编号", "身份证号", "姓名", "变动类型", "变动日期", "上报日期"],
        [["东村-001", None, "张小宝", "新生", D(2026, 9, 1), D(2026, 9, 3)]],
    )
    assert import_ledger(get_kind("member_changes")(office), path).ok
    assert MemberChange.objects.get().reported_on == D(2026, 9, 3)
    assert [i.days_overdue for i in _items(office, as_of, "member_change.report")] == [60]
    # As of a day before it was entered, the list did not know the change yet.
    assert _items(office, D(2026, 11, 29), "member_change.report") == []


def test_a_problem_resolution_counts_from_its_entry(
    time_machine, live, client, office, east_household
):
    _at(time_machine, D(2026, 9, 1))
    housing = ProblemCategory.objects.get(name="危房改造")
    problem = problem_report(
        household=east_household, category=housing, description="房屋漏雨", found_on=D(2026, 9, 1)
    )
    _at(time_machine, D(2026, 11, 20))
    problem_resolve(problem=problem, resolution="已维修", resolved_on=D(2026, 9, 20), user=office)
    assert problem.resolved_at is not None and problem.resolved_by == office
    # Due 2026-10-01; resolved (typed) 09-20 but entered 11-20: overdue as of 11-01.
    assert [i.days_overdue for i in _items(office, D(2026, 11, 1), "problem.resolve")] == [31]
    client.force_login(office)
    url = reverse("admin:visits_problem_change", args=[problem.pk])
    response = client.post(
        url,
        {
            "resolution": "已维修",
            "resolved_on": "2026-09-05",
            "_row_version": shown_version(client, url),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    problem.refresh_from_db()
    assert problem.resolved_on == D(2026, 9, 5)
    assert [i.days_overdue for i in _items(office, D(2026, 11, 1), "problem.resolve")] == [31]
    assert _items(office, D(2026, 11, 21), "problem.resolve") == []


def test_aid_counts_from_its_entry(time_machine, live, client, office, east_household):
    _at(time_machine, D(2026, 9, 1))
    case = emergency_report(
        household=east_household,
        cause=EmergencyCase.Cause.DISASTER,
        expense=decimal.Decimal("20000"),
        occurred_on=D(2026, 9, 1),
        reported_on=D(2026, 9, 1),
    )
    assert not case.late_entry
    _at(time_machine, D(2026, 10, 1))
    emergency_aid(
        case=case, aided_on=D(2026, 9, 5), aid_amount=decimal.Decimal("5000"), user=office
    )
    assert [i.due for i in _items(office, D(2026, 9, 20), "emergency.aid")] == [D(2026, 9, 8)]
    client.force_login(office)
    url = reverse("admin:visits_emergencycase_change", args=[case.pk])
    response = client.post(
        url,
        {
            "aided_on": "2026-09-02",
            "aid_amount": "5000",
            "_row_version": shown_version(client, url),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    case.refresh_from_db()
    assert case.aided_on == D(2026, 9, 2)
    assert [i.due for i in _items(office, D(2026, 9, 20), "emergency.aid")] == [D(2026, 9, 8)]
    assert _items(office, D(2026, 10, 1), "emergency.aid") == []


def test_a_rectification_counts_from_its_entry(
    time_machine, live, client, inspector, east, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    inspection = Inspection.objects.create(
        title="专项检查", department=Department.objects.get(name="督查科"), started_on=D(2026, 4, 1)
    )
    finding = Finding.objects.create(
        inspection=inspection,
        article=Article.objects.get(number=39),
        description="帮扶记录不全",
        found_on=D(2026, 5, 1),
        deadline=D(2026, 5, 31),
        village=east,
    )
    _at(time_machine, D(2026, 7, 1))
    # closed (整改销号) only after a report with its evidence (issue 16)
    finding_report(
        finding=finding,
        rectification="已补齐",
        report_file=SimpleUploadedFile("整改.pdf", b"%PDF-1.4\n%%EOF\n"),
        user=inspector,
    )
    finding_rectify(finding=finding, rectified_on=D(2026, 5, 20), user=inspector)
    assert finding.rectified_by == inspector
    assert [i.days_overdue for i in _items(inspector, D(2026, 6, 15), "finding.rectify")] == [15]
    client.force_login(inspector)
    url = reverse("admin:oversight_finding_change", args=[finding.pk])
    response = client.post(
        url,
        {
            "_row_version": shown_version(client, url),
            "inspection": inspection.pk,
            "article": 39,
            "description": "帮扶记录不全",
            "found_on": "2026-05-01",
            "deadline": "2026-05-31",
            "village": east.pk,
            "rectified_on": "2026-05-10",
            "rectification": "已补齐",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    finding.refresh_from_db()
    # the admin does not edit the day rectified (issue 16): the posted date is not taken
    assert finding.rectified_on == D(2026, 5, 20)
    assert [i.days_overdue for i in _items(inspector, D(2026, 6, 15), "finding.rectify")] == [15]


@pytest.mark.usefixtures("today")
def test_who_and_when_of_a_visit_are_the_servers(client, office, pairing, east_household):
    visit = visit_record(
        household=east_household,
        cadre=pairing.cadre,
        kind=Visit.Kind.HOME,
        on=D(2026, 11, 25),
        content=TEXT,
        entered_by=pairing,
    )
    client.force_login(office)
    url = reverse("admin:visits_visit_change", args=[visit.pk])
    response = client.post(
        url,
        {
            "_row_version": shown_version(client, url),
            "household": east_household.pk,
            "cadre": pairing.cadre.pk,
            "kind": "入户",
            "on": "2026-10-01",
            "content": TEXT + "，补充",
            "problems_found": "",
            "created_at": "2026-10-01 08:00:00",
            "entered_by": office.pk,
            "late_entry": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    again = Visit.objects.get()
    assert (again.on, again.created_at, again.entered_by, again.late_entry) == (
        D(2026, 11, 25),
        visit.created_at,
        pairing,
        False,
    )
    assert again.content == TEXT + "，补充"


# --- 2. 补录 and closed months ------------------------------------------------------------------

CLOSED = "2026-10-15 所在月份已于 2026-11-10 关闭：只有扶贫办可以受理补录，并须写明原因"


@pytest.mark.usefixtures("today")
def test_a_visit_entered_late_is_a_late_entry_but_meets_the_month(
    live, office, pairing, east_household
):
    visit = visit_record(
        household=east_household,
        cadre=pairing.cadre,
        kind=Visit.Kind.PHONE,
        on=D(2026, 11, 10),  # 20 days ago: more than 7
        content=TEXT,
        entered_by=pairing,
    )
    on_time = visit_record(
        household=east_household,
        cadre=pairing.cadre,
        kind=Visit.Kind.PHONE,
        on=D(2026, 11, 23),  # 7 days ago: in time
        content=TEXT,
        entered_by=pairing,
    )
    assert (visit.late_entry, on_time.late_entry) == (True, False)
    pending = [
        i for i in _items(office, D(2026, 12, 1), "pairing.phone_contact") if i.period == "2026-11"
    ]
    assert pending == []  # a 补录 still meets the month


@pytest.mark.usefixtures("today")
def test_a_closed_month_takes_a_visit_only_from_the_office_with_a_reason(
    tmp_path, live, client, office, pairing, east_household
):
    service, page, ledger = _phone_visit_refusals(
        client, tmp_path, pairing, east_household, on=D(2026, 10, 15), content=TEXT
    )
    assert service == {"on": [CLOSED]}
    assert CLOSED in page
    assert ledger == [("日期", CLOSED)]
    assert not Visit.objects.exists()
    client.force_login(office)
    add = reverse("admin:visits_visit_add")
    data = {
        "household": east_household.pk,
        "cadre": pairing.cadre.pk,
        "kind": "电话",
        "on": "2026-10-15",
        "content": TEXT,
    }
    page = client.post(add, data).content.decode()
    assert "2026-10-15 所在月份已于 2026-11-10 关闭：请写明受理这次补录的原因" in page
    assert not Visit.objects.exists()
    response = client.post(add, {**data, "accept_reason": "纸质记录遗失后补登，已核实"})
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.late_entry, visit.late_reason, visit.entered_by) == (
        True,
        "纸质记录遗失后补登，已核实",
        office,
    )
    entry = AuditEntry.objects.filter(model="visits.visit", action="create").get()
    assert "纸质记录遗失后补登" in str(entry.new)


@pytest.mark.usefixtures("today")
def test_lists_show_a_period_met_later_by_a_late_entry(
    live, client, office, inspector, pairing, east_household
):
    visit_record(
        household=east_household,
        cadre=pairing.cadre,
        kind=Visit.Kind.PHONE,
        on=D(2026, 10, 15),
        content=TEXT,
        entered_by=office,
        late_reason="纸质记录补登",
    )
    client.force_login(inspector)
    data = client.get(
        reverse("dashboard:overdue_json"),
        {"as_of": "2026-11-05", "since": "2026-10-01", "rule": "pairing.phone_contact"},
    ).json()
    [item] = data["items"]
    assert (item["period"], item["late_entry"]) == ("2026-10", True)
    assert item["entered_at"].startswith("2026-11-30T12:00") and item["entered_at"].endswith(
        "+08:00"
    )
    now = client.get(
        reverse("dashboard:overdue_json"),
        {"as_of": "2026-11-30", "since": "2026-10-01", "rule": "pairing.phone_contact"},
    ).json()
    assert [i["period"] for i in now["items"]] == []
    home = client.get(reverse("home")).content.decode()
    assert 'id="late-entries"' in home and "东村: 1" in home and "pairing: 1" in home
    household = client.get(
        reverse("dashboard:household", args=["东村-001"]), {"as_of": "2026-11-05"}
    ).content.decode()
    assert household.count("补录") >= 2 and "纸质记录补登" in household


# --- 3. the past does not move ------------------------------------------------------------------


def _trend(user, as_of, of=None):
    query = selectors.Query(as_of=as_of, since=SINCE)
    tallies, later = selectors.tallies_and_met_later(user, query)
    return (of or selectors.trend)(tallies, as_of, later)


@pytest.mark.usefixtures("today")
def test_a_back_fill_leaves_the_earlier_month_ends_unchanged(
    live, office, inspector, pairing, east_household
):
    before = _trend(inspector, D(2026, 11, 30))
    flow_before = _trend(inspector, D(2026, 11, 30), selectors.flow)
    visit = visit_record(
        household=east_household,
        cadre=pairing.cadre,
        kind=Visit.Kind.HOME,
        on=D(2026, 8, 15),
        content=TEXT,
        entered_by=office,
        late_reason="纸质记录补登",
    )
    assert visit.late_entry
    after = _trend(inspector, D(2026, 11, 30))
    assert after[:-1] == before[:-1]  # every past month-end as it was shown
    # The two items still fell overdue when they did; the 补录 closed both in November.
    flow_after = _trend(inspector, D(2026, 11, 30), selectors.flow)
    assert [opened for _l, opened, _c in flow_after] == [o for _l, o, _c in flow_before]
    assert flow_after[-1][2] == flow_before[-1][2] + 2
    # Today's list knows the visit: the 2026-08 contact and the 2026-Q3 home visit are met.
    assert after[-1][2] == before[-1][2] - 2
    past = _items(inspector, D(2026, 10, 31), None, village="东村")
    assert {
        (i.period, i.late_entry)
        for i in past
        if i.period in ("2026-08", "2026-Q3") and i.household == "东村-001"
    } == {
        ("2026-08", True),
        ("2026-Q3", True),
    }


@pytest.mark.usefixtures("today")
def test_history_counts_as_of_its_own_date(settings, office, inspector, pairing, east_household):
    settings.GO_LIVE = D(2026, 10, 1)
    before = _trend(inspector, D(2026, 11, 30))
    visit = visit_record(
        household=east_household,
        cadre=pairing.cadre,
        kind=Visit.Kind.HOME,
        on=D(2026, 8, 15),  # before go-live: history, entered by whoever, no 补录
        content=TEXT,
        entered_by=pairing,
    )
    assert not visit.late_entry
    after = _trend(inspector, D(2026, 11, 30))
    # August's contact and the third quarter's visit count as met from their own dates on.
    assert [c for _l, _d, c in after] == [
        c - (cut > D(2026, 8, 31)) - (cut > D(2026, 9, 30)) for _l, cut, c in before
    ]


@pytest.mark.usefixtures("today")
def test_older_visits_with_short_content_round_trip_unchanged(
    tmp_path, office, pairing, east_household
):
    Visit.objects.create(
        household=east_household, cadre=pairing.cadre, kind="入户", on=D(2026, 3, 2), content="走访"
    )
    out = tmp_path / "out.xlsx"
    export_ledger(get_kind("visits")(office), out)
    again = import_ledger(get_kind("visits")(office), out)
    assert (again.ok, again.unchanged) == (True, 1)


@pytest.mark.usefixtures("live")
def test_the_cadre_is_told_at_once_that_a_late_visit_is_a_late_entry(
    client, pairing, east_household, time_machine
):
    """Nine days after the visit, June still open: saved, and the cadre reads that it is a 补录."""
    time_machine.move_to(datetime.datetime(2026, 7, 9, 10, 0, tzinfo=SHANGHAI))
    client.force_login(pairing)
    url = reverse("visits:visit_new", args=[east_household.pk])
    response = client.post(url, {"kind": "电话", "on": "2026-06-30", "content": TEXT}, follow=True)
    message = [str(m) for m in response.context["messages"]]
    assert "已标记为补录" in message[0] and Visit.objects.get().late_entry
    # Within the days allowed: saved with no such word.
    response = client.post(url, {"kind": "入户", "on": "2026-07-06", "content": TEXT}, follow=True)
    message = [str(m) for m in response.context["messages"]]
    assert len(message) == 1 and "补录" not in message[0]
