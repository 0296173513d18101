"""公示 with proof (art. 35; docs/design.md, "公示 with proof"): a photo of it posted and one of
the board after it was taken down, each with its server-set entry time and author; the days
are judged from them, and changing the dates later is kept in the history and never raises the
days already judged."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from duties.models import Disclosure, Evidence
from duties.schedules.services import disclosure_record
from tests.conftest import SHANGHAI
from tests.duties.schedules.test_rules import POSTED, _on, _overdue, _photo, _posted
from xigang import history
from xigang.models import AuditEntry

pytestmark = pytest.mark.django_db

D = datetime.date
AS_OF = D(2026, 9, 1)


def _short(office):
    return [
        (i.period, i.period_start, i.due, i.days_overdue) for i in _overdue(office, AS_OF, POSTED)
    ]


def _edit(notice, user, **changes):
    fields = {
        "village": notice.village,
        "kind": notice.kind,
        "title": notice.title,
        "posted_from": notice.posted_from,
        "posted_until": notice.posted_until,
    }
    return disclosure_record(**{**fields, **changes}, user=user, disclosure=notice)


def test_photos_entered_on_their_days_prove_the_typed_days(east, office):
    notice = _posted(east, D(2026, 7, 1), D(2026, 7, 7))
    assert (notice.proven_from, notice.days_proven) == (D(2026, 7, 1), 7)
    assert _short(office) == []
    posted, taken_down = notice.evidence.order_by("uploaded_at")
    assert (posted.moment, taken_down.moment) == ("posted", "taken_down")
    assert posted.uploaded_at == datetime.datetime(2026, 7, 1, 12, tzinfo=SHANGHAI)
    assert taken_down.uploaded_at == datetime.datetime(2026, 7, 7, 12, tzinfo=SHANGHAI)
    assert posted.uploaded_by.username == "东村-recorder"


def test_a_posting_photo_entered_late_counts_from_its_entry(east, office):
    # typed as posted from 7-1, but the first photo of it on the board came in on 7-3
    notice = _posted(east, D(2026, 7, 1), D(2026, 7, 7), posted_on=D(2026, 7, 3))
    assert (notice.days_posted, notice.proven_from, notice.days_proven) == (7, D(2026, 7, 3), 5)
    assert _short(office) == [("2026-07-01", D(2026, 7, 3), D(2026, 7, 9), 2)]
    assert "只公示了 5 天，应公示 7 天" in _overdue(office, AS_OF, POSTED)[0].subject


def test_a_photo_of_it_taken_down_before_the_typed_last_day_ends_it(east, office):
    notice = _posted(east, D(2026, 7, 1), D(2026, 7, 7), taken_down_on=D(2026, 7, 5))
    assert notice.days_proven == 5
    assert _short(office) == [("2026-07-01", D(2026, 7, 1), D(2026, 7, 7), 2)]


def test_a_photo_of_it_taken_down_entered_late_does_not_shorten_it(east, office):
    notice = _posted(east, D(2026, 7, 1), D(2026, 7, 7), taken_down_on=D(2026, 7, 9))
    assert notice.days_proven == 7
    assert _short(office) == []


def test_recording_it_all_afterwards_proves_nothing(east, office):
    with _on(D(2026, 8, 20)):
        notice = disclosure_record(
            village=east,
            kind=Disclosure.Kind.EXIT,
            title="补记的公示",
            posted_from=D(2026, 7, 1),
            posted_until=D(2026, 7, 7),
            user=office,
            photos=[_photo()],
            taken_down_photos=[_photo()],
        )
    assert (notice.days_posted, notice.days_proven) == (7, 0)
    assert _short(office) == [("2026-07-01", D(2026, 8, 20), D(2026, 8, 26), 7)]


def test_changing_the_dates_later_is_recorded_and_keeps_the_shortfall(east, east_cadre, office):
    notice = _posted(east, D(2026, 7, 1), D(2026, 7, 5))  # 5 days of 7
    before = _short(office)
    assert before == [("2026-07-01", D(2026, 7, 1), D(2026, 7, 7), 2)]
    recorded = AuditEntry.objects.order_by("id").last().id
    with _on(D(2026, 8, 10)), history.acting(east_cadre, "form"):
        _edit(notice, east_cadre, posted_until=D(2026, 7, 9))  # "it stayed up longer"
        _edit(notice, east_cadre, posted_from=D(2026, 6, 25))  # "it went up earlier"
    notice.refresh_from_db()
    assert (notice.posted_from, notice.posted_until, notice.days_posted) == (
        D(2026, 6, 25),
        D(2026, 7, 9),
        15,
    )
    assert notice.days_proven == 5
    assert [(i.period_start, i.days_overdue) for i in _overdue(office, AS_OF, POSTED)] == [
        (D(2026, 7, 1), 2)
    ]
    changes = AuditEntry.objects.filter(
        model="duties.disclosure", object_pk=str(notice.pk), action="update", id__gt=recorded
    ).order_by("id")
    assert {e.actor for e in changes} == {"east_cadre"}
    longer, earlier = [(e.old, e.new) for e in changes]
    assert (longer[0]["posted_until"], longer[1]["posted_until"]) == ("2026-07-05", "2026-07-09")
    assert (earlier[0]["posted_from"], earlier[1]["posted_from"]) == ("2026-07-01", "2026-06-25")
    # shortening it later does count: the days only go down
    with _on(D(2026, 8, 11)):
        _edit(notice, east_cadre, posted_from=D(2026, 7, 1), posted_until=D(2026, 7, 3))
    notice.refresh_from_db()
    assert notice.days_proven == 3


def test_each_moment_needs_its_photo_and_a_refusal_writes_nothing(east, east_cadre):
    fields = {"village": east, "kind": Disclosure.Kind.EXIT, "title": "2026年贫困退出公示"}
    with pytest.raises(ValidationError) as refused:
        disclosure_record(**fields, posted_from=D(2026, 7, 1), posted_until=None, user=east_cadre)
    assert "请上传公示张贴时公示栏的照片" in refused.value.message_dict["photos"][0]
    assert not Disclosure.objects.exists()
    notice = _posted(east, D(2026, 7, 1), None)
    with pytest.raises(ValidationError) as refused:
        _edit(notice, east_cadre, posted_until=D(2026, 7, 7))
    assert "请上传公示撤下后公示栏的照片" in refused.value.message_dict["taken_down_photos"][0]
    with pytest.raises(ValidationError) as refused:
        _edit(notice, east_cadre, taken_down_photos=[_photo()])
    assert "请填写公示的最后一天" in refused.value.message_dict["posted_until"][0]
    notice.refresh_from_db()
    assert (notice.posted_until, notice.evidence.count()) == (None, 1)
    taken_down = _posted(east, D(2026, 8, 1), D(2026, 8, 7))
    with pytest.raises(ValidationError) as refused:
        _edit(taken_down, east_cadre, posted_until=None)  # "still posted" again
    assert "已登记为撤下" in refused.value.message_dict["posted_until"][0]
    taken_down.refresh_from_db()
    assert taken_down.days_proven == 7


def test_the_pages_show_each_photo_with_its_moment_entry_time_and_author(client, east, east_cadre):
    notice = _posted(east, D(2026, 7, 1), D(2026, 7, 7), posted_on=D(2026, 7, 2))
    Evidence.objects.filter(disclosure=notice).update(uploaded_by=east_cadre)
    client.force_login(east_cadre)
    page = client.get(reverse("duties:disclosure_edit", args=[notice.pk])).content.decode()
    assert "张贴时" in page and "撤下后" in page
    assert "2026-07-02 12:00" in page and "2026-07-07 12:00" in page
    assert "照片证实的天数：6（自2026-07-02起）" in page and "填写的公示天数：7" in page
    listing = client.get(reverse("duties:disclosure_list")).content.decode()
    assert "张贴时 2026-07-02 12:00" in listing


def test_the_admin_adds_no_notice_and_cannot_take_one_down_without_its_photo(client, east, office):
    client.force_login(office)
    assert client.get(reverse("admin:duties_disclosure_add")).status_code == 403
    notice = _posted(east, D(2026, 7, 1), None)
    url = reverse("admin:duties_disclosure_change", args=[notice.pk])
    from tests.forms import shown_version

    response = client.post(
        url,
        {
            "village": east.pk,
            "kind": notice.kind,
            "title": notice.title,
            "posted_from": "2026-07-01",
            "posted_until": "2026-07-07",
            "_row_version": shown_version(client, url),
            "evidence-TOTAL_FORMS": "1",
            "evidence-INITIAL_FORMS": "1",
            "evidence-MIN_NUM_FORMS": "0",
            "evidence-MAX_NUM_FORMS": "1000",
            "evidence-0-id": notice.evidence.get().pk,
            "evidence-0-disclosure": notice.pk,
        },
    )
    assert response.status_code == 200
    assert "请上传公示撤下后公示栏的照片" in response.content.decode()
    notice.refresh_from_db()
    assert notice.posted_until is None
