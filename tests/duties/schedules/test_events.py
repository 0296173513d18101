"""Recording the event behind an on-event duty (5.3, 15.3, or a village duty scheduled so):
the portal page, the service it calls, and the obligation followed by `duty.scheduled`."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from duties.models import Department, Duty, Obligation
from duties.schedules.generation import schedule_change
from duties.schedules.services import obligation_open_for_event
from tests.conftest import FROZEN_DAY
from xigang.models import AuditEntry
from xigang.obligations import Filters, overdue_items

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("today")]

URL = reverse("duties:event_record")
SCHEDULED = Filters(rule="duty.scheduled")
DAY = datetime.timedelta(days=1)
TODAY = FROZEN_DAY  # every test here runs on it
EVENT_ON = TODAY - 40 * DAY  # 5.3 (30 days) and 15.3 (7 days) are both overdue by today


def _duty(article, clause):
    return Duty.objects.get(article_id=article, clause=clause)


def _unit(unit):
    kind = "department" if isinstance(unit, Department) else "village"
    return f"{kind}-{unit.pk}"


def _post(
    client, user, duty, unit, on=EVENT_ON, description="第一书记王某某消极应付，予以通报批评"
):
    client.force_login(user)
    return client.post(
        URL,
        {
            "duty": duty.pk,
            "unit": _unit(unit),
            "event_on": on.isoformat() if isinstance(on, datetime.date) else on,
            "description": description,
        },
    )


def _events():
    """The obligations opened by events (the overdue rule generates the calendar ones)."""
    return Obligation.objects.filter(schedule__frequency="on-event")


def _overdue(user, as_of):
    return [
        i
        for i in overdue_items(user=user, as_of=as_of, since=EVENT_ON, filters=SCHEDULED)
        if i.period == EVENT_ON.isoformat()
    ]


# --- recording opens the obligation ------------------------------------------------------------


def test_it_opens_the_obligation_due_the_schedules_days_after_the_event(client, organisation):
    criticism, unit = _duty(5, 3), Department.objects.get(name="组织科")
    response = _post(client, organisation, criticism, unit)
    obligation = Obligation.objects.get(duty=criticism)
    assert response.status_code == 302
    assert response["Location"] == reverse("duties:obligation_complete", args=[obligation.pk])
    # due day 30 counted from the event's day (1 = the day itself)
    assert (obligation.period_start, obligation.due) == (EVENT_ON, EVENT_ON + 29 * DAY)
    assert (
        obligation.period_label == EVENT_ON.isoformat() and obligation.period_end == obligation.due
    )
    assert (obligation.department, obligation.village) == (unit, None)
    assert obligation.status == Obligation.Status.OPEN
    assert obligation.event_description == "第一书记王某某消极应付，予以通报批评"
    page = client.get(response["Location"]).content.decode()
    assert "事件已登记" in page and (EVENT_ON + 29 * DAY).isoformat() in page
    assert "第一书记王某某消极应付" in page and "标记为已完成" in page  # its completion form


def test_the_office_records_for_any_unit_and_15_3_is_due_in_7_days(client, office, civil_affairs):
    assert (
        _post(
            client, office, _duty(15, 3), civil_affairs, description="外来务工人员火灾"
        ).status_code
        == 302
    )
    obligation = Obligation.objects.get(duty=_duty(15, 3))
    assert (obligation.department, obligation.due) == (civil_affairs, EVENT_ON + 6 * DAY)


def test_the_change_history_records_who_opened_it(client, organisation):
    _post(client, organisation, _duty(5, 3), Department.objects.get(name="组织科"))
    obligation = _events().get()
    entry = AuditEntry.objects.get(
        model="duties.obligation", object_pk=str(obligation.pk), action="create"
    )
    assert (entry.actor, entry.source) == ("organisation", "form")
    assert entry.new["event_description"] == "第一书记王某某消极应付，予以通报批评"


# --- then followed like every other obligation -------------------------------------------------


def test_it_is_overdue_after_its_due_date_for_the_town_and_its_unit_only(
    client, organisation, office, leader, dept, east_cadre
):
    _post(client, organisation, _duty(5, 3), Department.objects.get(name="组织科"))
    due = EVENT_ON + 29 * DAY
    assert _overdue(office, due) == []  # not before its due day has passed
    for user in (office, leader, organisation):
        items = _overdue(user, due + DAY)
        assert [(i.rule, i.article, i.department, i.due, i.days_overdue) for i in items] == [
            ("duty.scheduled", 5, "组织科", due, 1)
        ], user
        assert items[0].link == reverse("duties:obligation_complete", args=[_events().get().pk])
        assert items[0].cadre == "organisation"
    for other in (dept, east_cadre):  # another department's staff, a village's cadre
        assert _overdue(other, due + DAY) == []


def test_once_completed_with_evidence_it_is_no_longer_overdue(client, organisation, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _post(client, organisation, _duty(5, 3), Department.objects.get(name="组织科"))
    obligation = _events().get()
    client.post(
        reverse("duties:obligation_complete", args=[obligation.pk]),
        {"files": [SimpleUploadedFile("通报.pdf", b"%PDF-1.4\n%%EOF\n")]},
    )
    assert _overdue(organisation, TODAY) == []


# --- who may record, for which units ----------------------------------------------------------


@pytest.mark.parametrize("who", ["leader", "inspector", "pairing", "outsider"])
def test_readers_and_pairing_cadres_may_not_record(client, request, civil_affairs, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert (
        _post(client, request.getfixturevalue(who), _duty(15, 3), civil_affairs).status_code == 403
    )
    assert not _events().exists()


def test_a_unit_outside_the_users_reach_is_refused(client, dept, organisation, east_cadre):
    civil = Department.objects.get(name="民政科")
    organisation_unit = Department.objects.get(name="组织科")
    # 民政科's staff for 组织科, 组织科's staff for 民政科, a village cadre for 民政科
    assert _post(client, dept, _duty(5, 3), organisation_unit).status_code == 403
    assert _post(client, organisation, _duty(15, 3), civil).status_code == 403
    assert _post(client, east_cadre, _duty(15, 3), civil).status_code == 403
    # the duty of another unit, with the user's own unit: not one of the duties offered
    response = _post(client, dept, _duty(5, 3), civil)
    assert response.status_code == 400
    assert "请从列出的职责中选择" in response.content.decode()
    assert not _events().exists()


def test_the_page_offers_only_the_users_duties_and_units(client, dept, office):
    client.force_login(dept)
    page = client.get(URL).content.decode()
    assert "救急难台账及救助凭证" in page and "批评、追究责任的通报" not in page
    assert "组织科" not in page and "突发性贫困群众" in page  # 15.3's note
    client.force_login(office)
    page = client.get(URL).content.decode()
    assert "救急难台账及救助凭证" in page and "批评、追究责任的通报" in page


def test_the_unit_must_be_the_one_the_duty_belongs_to(client, office):
    response = _post(client, office, _duty(15, 3), Department.objects.get(name="组织科"))
    assert response.status_code == 400
    assert "第十五条第3项由民政科负责，责任单位请选择民政科" in response.content.decode()
    assert not _events().exists()


def test_the_list_links_to_the_page_for_those_who_may_record(
    client, dept, office, east_cadre, leader, inspector
):
    for user, shown in ((dept, True), (office, True), (east_cadre, True), (leader, False)):
        client.force_login(user)
        page = client.get(reverse("duties:obligation_list")).content.decode()
        assert (URL in page) == shown, user
    client.force_login(inspector)
    assert URL not in client.get(reverse("duties:obligation_list")).content.decode()
    # a village has no duty scheduled on events by default: the page says so
    client.force_login(east_cadre)
    page = client.get(URL)
    assert page.status_code == 200
    assert "您负责的单位目前没有按事件安排的职责" in page.content.decode()


def test_a_village_cadre_records_for_a_village_duty_scheduled_on_events(
    client, east, west, east_cadre, west_cadre
):
    duty = _duty(36, 1)  # a village-level duty, scheduled on events from 60 days ago
    schedule_change(
        duty=duty,
        frequency="on-event",
        due_day=10,
        evidence="记录",
        effective_from=TODAY - 60 * DAY,
    )
    client.force_login(east_cadre)
    page = client.get(URL).content.decode()
    assert "东村" in page and "西村" not in page
    assert _post(client, west_cadre, duty, east).status_code == 403
    before = TODAY - 70 * DAY  # under the schedule in force then, not on events
    response = _post(client, east_cadre, duty, east, on=before)
    assert response.status_code == 400
    assert (
        f"{before.isoformat()} 时第三十六条第1项不是按事件安排的职责" in response.content.decode()
    )
    assert _post(client, east_cadre, duty, east).status_code == 302
    obligation = Obligation.objects.get(duty=duty, period_start=EVENT_ON)
    assert (obligation.village, obligation.due) == (east, EVENT_ON + 9 * DAY)


# --- refusals: nothing written, the input kept ------------------------------------------------


def test_the_same_event_twice_is_refused(client, dept, office, civil_affairs):
    assert _post(client, dept, _duty(15, 3), civil_affairs).status_code == 302
    response = _post(client, office, _duty(15, 3), civil_affairs, description="另一种说法")
    assert response.status_code == 400
    text = response.content.decode()
    assert f"民政科 {EVENT_ON.isoformat()} 的第十五条第3项事件已经登记过，不能重复登记" in text
    assert "另一种说法" in text
    assert _events().count() == 1
    # the next day is another event
    assert _post(client, dept, _duty(15, 3), civil_affairs, on=EVENT_ON + DAY).status_code == 302


def test_the_service_refuses_a_duplicate_whoever_calls_it(civil_affairs):
    obligation_open_for_event(duty=_duty(15, 3), event_on=EVENT_ON, department=civil_affairs)
    with pytest.raises(ValidationError, match="已经登记过"):
        obligation_open_for_event(duty=_duty(15, 3), event_on=EVENT_ON, department=civil_affairs)
    assert _events().count() == 1


def test_a_future_date_is_refused_and_the_form_keeps_what_was_typed(client, dept, civil_affairs):
    tomorrow = TODAY + DAY
    response = _post(
        client, dept, _duty(15, 3), civil_affairs, on=tomorrow, description="村民张某突发重病"
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "未保存：请更正下面标出的项" in text
    assert f"事件日期 {tomorrow.isoformat()} 晚于今天" in text
    assert f'value="{tomorrow.isoformat()}"' in text and "村民张某突发重病" in text
    assert f'value="{_unit(civil_affairs)}" selected' in text
    assert not _events().exists()


def test_missing_and_malformed_input_is_named_field_by_field(client, dept, civil_affairs):
    client.force_login(dept)
    empty = client.post(URL, {})
    assert empty.status_code == 400
    text = empty.content.decode()
    for message in (
        "请选择事件所属的职责",
        "请选择对事件负责的单位",
        "请填写事件日期",
        "请简要描述事件",
    ):
        assert message in text
    response = _post(
        client, dept, _duty(15, 3), civil_affairs, on="2026-13-45", description="x" * 201
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "事件日期不是有效日期，请按 YYYY-MM-DD 填写" in text and 'value="2026-13-45"' in text
    assert "描述有 201 个字，请缩短到 200 个字以内" in text
    assert not _events().exists()
