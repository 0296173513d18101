"""Rules duty.scheduled and disclosure.post in the overdue engine."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from duties.models import Disclosure, Obligation, RuleParameter
from duties.schedules.services import disclosure_record, obligation_complete, obligation_waive
from tests.conftest import SHANGHAI
from xigang.obligations import Filters, overdue_items, pending_items
from xigang.scope import scope_of

pytestmark = pytest.mark.django_db

D = datetime.date
SCHEDULED = Filters(rule="duty.scheduled")
POSTED = Filters(rule="disclosure.post")


SINCE = D(2026, 1, 1)


def _overdue(user, as_of, filters=SCHEDULED, since=SINCE):
    return overdue_items(user=user, as_of=as_of, since=since, filters=filters)


@pytest.fixture
def pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")


def test_an_open_obligation_is_overdue_only_after_its_due_day(office, dept, civil_may):
    assert [i for i in _overdue(office, D(2026, 5, 31)) if i.period == "2026-05"] == []
    items = [i for i in _overdue(office, D(2026, 6, 1)) if i.department == "民政科"]
    may = [i for i in items if i.period == "2026-05" and i.article == 15]
    assert len(may) == 1
    item = may[0]
    assert (item.rule, item.article, item.due, item.days_overdue) == (
        "duty.scheduled",
        15,
        D(2026, 5, 31),
        1,
    )
    assert (item.village, item.department, item.cadre, item.household) == (
        None,
        "民政科",
        "dept",
        None,
    )
    assert "做好各类保障性补贴的发放工作" in item.subject
    assert item.link == f"/duties/obligations/{civil_may.pk}/"


def test_done_and_waived_obligations_are_never_overdue(office, dept, civil_may, east_q2, pdf):
    obligation_complete(obligation=civil_may, user=dept, files=[pdf])
    obligation_waive(obligation=east_q2, user=office, reason="村两委换届，本季度合并至下季度")
    periods = {
        (i.period, i.article, i.department, i.village) for i in _overdue(office, D(2026, 8, 1))
    }
    assert ("2026-05", 15, "民政科", None) not in periods
    assert ("2026-Q2", 36, None, "东村") not in periods
    # a done obligation's neighbours (same duty, other months) still are
    assert ("2026-04", 15, "民政科", None) in periods


def test_each_village_answers_for_its_own_and_names_its_cadres(east_cadre, west_cadre, office):
    items = _overdue(office, D(2026, 7, 1), filters=Filters(rule="duty.scheduled", article=36))
    q2 = sorted((i.village, i.cadre, i.cadre_name) for i in items if i.period == "2026-Q2")
    assert q2 == [("东村", "east_cadre", "east_cadre"), ("西村", "west_cadre", "west_cadre")]
    mine = _overdue(east_cadre, D(2026, 7, 1))
    assert mine and {i.village for i in mine} == {"东村"}


def test_scope_and_filters(cast, east, west):
    as_of = D(2026, 7, 1)
    units = {
        name: {i.department or i.village for i in _overdue(user, as_of)}
        for name, user in cast.items()
    }
    assert units["dept"] == {"民政科"}
    assert units["east_cadre"] == {"东村"}
    assert units["west_cadre"] == {"西村"}
    assert units["pairing"] == set() and units["outsider"] == set()
    assert {"民政科", "财政所", "东村", "西村"} <= units["leader"] == units["inspector"]
    office = cast["office"]
    by_village = _overdue(office, as_of, Filters(rule="duty.scheduled", village="西村"))
    assert by_village and {i.village for i in by_village} == {"西村"}
    by_department = _overdue(office, as_of, Filters(department="财政所"))
    assert by_department and {(i.rule, i.department) for i in by_department} == {
        ("duty.scheduled", "财政所")
    }
    by_cadre = _overdue(office, as_of, Filters(rule="duty.scheduled", cadre="east_cadre"))
    assert by_cadre and {i.village for i in by_cadre} == {"东村"}
    by_article = overdue_items(
        user=office, as_of=as_of, since=D(2026, 1, 1), filters=Filters(article=8)
    )
    assert by_article and {(i.article, i.department) for i in by_article} == {(8, "财政所")}


def test_a_period_before_since_is_left_out(office, east):
    items = _overdue(office, D(2026, 7, 1), since=D(2026, 4, 1))
    assert items and min(i.period_start for i in items) >= D(2026, 4, 1)


def test_obligations_are_generated_when_the_rule_needs_them(office, east):
    assert not Obligation.objects.exists()
    items = _overdue(office, D(2026, 7, 1))
    assert any(i.period == "2026-Q2" and i.village == "东村" and i.article == 36 for i in items)
    soon = pending_items(user=office, as_of=D(2026, 6, 20), filters=SCHEDULED)
    assert soon and all(D(2026, 6, 20) <= i.due <= D(2026, 7, 4) for i in soon)


@pytest.mark.cold
def test_the_overdue_list_is_a_fixed_number_of_queries(
    office, dept, east_cadre, west_cadre, django_assert_num_queries
):
    as_of = D(2026, 7, 1)
    _overdue(office, as_of)  # generates once
    for user in (office, dept):
        scope_of(user)
        # generation check: mark + two signature counts; the open obligations with their
        # duty, schedule and unit; the people of the departments; the people of the villages
        expected = 6 if user is office else 5  # staff of one department: no village in reach
        with django_assert_num_queries(expected):
            items = _overdue(user, as_of)
        assert items


# --- 公示 (art. 35) ----------------------------------------------------------------------


def _on(day):
    """The clock at noon of `day` in Shanghai, standing still."""
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(12), SHANGHAI), tick=False
    )


def _photo():
    return SimpleUploadedFile("公示栏.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)


def _posted(village, first, last, *, posted_on=None, taken_down_on=None):
    """A 公示 recorded as a village does: with a photo of it posted, entered on `posted_on`
    (its first day unless given), then, if `last`, its last day with a photo of the board after
    it was taken down, entered on `taken_down_on` (its last day unless given)."""
    user = User.objects.get_or_create(username=f"{village.name}-recorder")[0]
    fields = {"village": village, "kind": Disclosure.Kind.EXIT, "title": "2026年贫困退出公示"}
    with _on(posted_on or first):
        notice = disclosure_record(
            **fields, posted_from=first, posted_until=None, user=user, photos=[_photo()]
        )
    if last is None:
        return notice
    with _on(taken_down_on or last):
        return disclosure_record(
            **fields,
            posted_from=first,
            posted_until=last,
            user=user,
            taken_down_photos=[_photo()],
            disclosure=notice,
        )


def test_a_disclosure_posted_exactly_7_days_is_enough_and_6_is_not(east, east_cadre, office):
    _posted(east, D(2026, 7, 1), D(2026, 7, 7))  # 7 days, both ends counted
    short = _posted(east, D(2026, 8, 1), D(2026, 8, 6))  # 6 days
    items = _overdue(office, D(2026, 9, 1), POSTED)
    assert [
        (i.rule, i.article, i.period, i.village, i.due, i.days_overdue, i.cadre) for i in items
    ] == [("disclosure.post", 35, "2026-08-01", "东村", D(2026, 8, 7), 1, "east_cadre")]
    assert short.days_posted == 6
    assert "只公示了 6 天，应公示 7 天" in items[0].subject


def test_a_disclosure_still_posted_is_not_a_failure(east, office):
    _posted(east, D(2026, 8, 30), None)
    assert _overdue(office, D(2026, 9, 1), POSTED) == []


def test_the_days_required_change_from_their_date_on(east, office):
    RuleParameter.objects.create(
        rule="disclosure.post", name="days", value=10, effective_from=D(2026, 8, 1)
    )
    _posted(east, D(2026, 7, 1), D(2026, 7, 7))  # 7 days under the old rule: fine
    _posted(east, D(2026, 8, 1), D(2026, 8, 9))  # 9 days of 10: short
    items = _overdue(office, D(2026, 9, 1), POSTED)
    assert [(i.period, i.days_overdue, i.due) for i in items] == [("2026-08-01", 1, D(2026, 8, 10))]


def test_disclosures_follow_village_scope(east, west, east_cadre, west_cadre, dept):
    _posted(east, D(2026, 7, 1), D(2026, 7, 3))
    _posted(west, D(2026, 7, 1), D(2026, 7, 3))
    assert {i.village for i in _overdue(east_cadre, D(2026, 9, 1), POSTED)} == {"东村"}
    assert _overdue(dept, D(2026, 9, 1), POSTED) == []
    assert (
        _overdue(
            User.objects.get(username="west_cadre"),
            D(2026, 9, 1),
            Filters(rule="disclosure.post", village="东村"),
        )
        == []
    )


@pytest.mark.cold
def test_disclosures_are_listed_in_a_fixed_number_of_queries(
    east, west, east_cadre, office, django_assert_num_queries
):
    for day in range(1, 20):
        _posted(east if day % 2 else west, D(2026, 7, day), D(2026, 7, day + 2))
    scope_of(office)
    # the parameter's schedule, the short 公示 with their village, the villages' people
    with django_assert_num_queries(3):
        items = _overdue(office, D(2026, 9, 1), POSTED)
    assert len(items) == 19


@pytest.mark.usefixtures("today")
def test_on_event_obligations_fall_due_after_the_event(office, civil_affairs):
    from duties.models import Duty
    from duties.schedules.services import obligation_open_for_event

    emergency = Duty.objects.get(article_id=15, clause=3)
    obligation_open_for_event(duty=emergency, event_on=D(2026, 7, 10), department=civil_affairs)
    assert [
        (i.period, i.due)
        for i in _overdue(office, D(2026, 7, 17), Filters(article=15, department="民政科"))
        if i.period == "2026-07-10"
    ] == [("2026-07-10", D(2026, 7, 16))]
