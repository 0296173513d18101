"""Two people at work on the same row: the second write is refused, says so, and writes nothing
(the 公示 edit form carries the row's version like the admin's change forms; an obligation
already completed or waived is not completed or waived again)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from duties.models import Disclosure, Evidence
from duties.schedules.services import disclosure_record
from tests.duties.schedules.test_disclosures import _post
from xigang.models import AuditEntry

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
STALE = "其他人已保存了这条记录"


def _version(page: str) -> str:
    return page.split('name="_row_version" value="')[1].split('"')[0]


@pytest.fixture
def notice(east, east_cadre):
    return disclosure_record(
        village=east,
        kind="贫困退出",
        title="2026年贫困退出公示",
        posted_from=datetime.date(2026, 7, 1),
        posted_until=None,
        user=east_cadre,
        photos=[_png()],
    )


def _png():
    return SimpleUploadedFile("公示栏.png", PNG)


def _edit(client, notice, version, **changes):
    url = reverse("duties:disclosure_edit", args=[notice.pk])
    return _post(client, url, notice.village, _row_version=version, **changes)


def test_a_stale_notice_edit_is_refused_and_keeps_what_was_typed(
    client, notice, east_cadre, office
):
    url = reverse("duties:disclosure_edit", args=[notice.pk])
    other = Client()
    other.force_login(office)
    client.force_login(east_cadre)
    mine = client.get(url).content.decode()
    theirs = other.get(url).content.decode()
    assert _version(mine) == _version(theirs)

    taken_down = _edit(
        other, notice, _version(theirs), posted_until="2026-07-07", taken_down_photos=[_png()]
    )
    assert taken_down.status_code == 302
    entries, photos = AuditEntry.objects.count(), Evidence.objects.count()
    photo = SimpleUploadedFile("公示栏.png", PNG)
    refused = _edit(
        client,
        notice,
        _version(mine),
        title="我改的标题",
        posted_until="2026-07-09",
        photos=[photo],
    )
    page = refused.content.decode()
    assert refused.status_code == 400
    assert STALE in page
    assert 'value="我改的标题"' in page and 'value="2026-07-09"' in page  # what I typed is kept
    notice.refresh_from_db()
    assert (notice.title, notice.posted_until) == ("2026年贫困退出公示", datetime.date(2026, 7, 7))
    assert Evidence.objects.count() == photos  # the photo of the refused save is not stored
    assert AuditEntry.objects.count() == entries  # nothing written at all

    # the refused page carries the row as it is now: saving again, knowingly, goes through
    again = _edit(client, notice, _version(page), title="我改的标题", posted_until="2026-07-09")
    assert again.status_code == 302
    notice.refresh_from_db()
    assert (notice.title, notice.days_posted) == ("我改的标题", 9)


def test_an_unchanged_row_saves_with_its_version(client, notice, east_cadre):
    client.force_login(east_cadre)
    version = _version(
        client.get(reverse("duties:disclosure_edit", args=[notice.pk])).content.decode()
    )
    saved = _edit(client, notice, version, posted_until="2026-07-08", taken_down_photos=[_png()])
    assert saved.status_code == 302
    assert Disclosure.objects.get().days_posted == 8
    # the version it carried is now spent: a second save from the same page is refused
    response = _edit(client, notice, version, posted_until="2026-07-10")
    assert response.status_code == 400 and STALE in response.content.decode()
    assert Disclosure.objects.get().days_posted == 8


def _pdf():
    return SimpleUploadedFile("发放明细.pdf", PDF, content_type="application/pdf")


def test_an_obligation_completed_by_someone_else_is_not_completed_again(
    client, dept, office, civil_may, media
):
    url = reverse("duties:obligation_complete", args=[civil_may.pk])
    first = Client()
    first.force_login(dept)
    client.force_login(office)
    assert "标记为已完成" in client.get(url).content.decode()  # both see it open
    assert first.post(url, {"files": [_pdf()], "note": "已发放"}).status_code == 302
    entries = AuditEntry.objects.count()

    second = client.post(url, {"files": [_pdf()], "note": "我也发放了"})
    assert second.status_code == 400
    assert "该任务已完成，不能再操作" in second.content.decode()
    civil_may.refresh_from_db()
    assert (civil_may.status, civil_may.completed_by, civil_may.note) == ("done", dept, "已发放")
    assert civil_may.evidence.count() == 1
    assert len(list((media / "evidence").iterdir())) == 1  # the second file was not stored
    assert AuditEntry.objects.count() == entries

    waive = client.post(
        reverse("duties:obligation_waive", args=[civil_may.pk]), {"waived_reason": "不适用"}
    )
    assert waive.status_code == 400
    assert "该任务已完成，不能再操作" in waive.content.decode()
    civil_may.refresh_from_db()
    assert civil_may.status == "done" and civil_may.waived_by is None
    assert AuditEntry.objects.count() == entries


def test_an_obligation_waived_twice_keeps_the_first_waiver(client, office, civil_may):
    url = reverse("duties:obligation_waive", args=[civil_may.pk])
    client.force_login(office)
    assert client.post(url, {"waived_reason": "县级统一发放"}).status_code == 302
    civil_may.refresh_from_db()
    waived_at = civil_may.waived_at
    entries = AuditEntry.objects.count()
    again = client.post(url, {"waived_reason": "另一个理由"})
    assert again.status_code == 400
    assert "该任务已免除，不能再操作" in again.content.decode()
    civil_may.refresh_from_db()
    assert (civil_may.waived_reason, civil_may.waived_at) == ("县级统一发放", waived_at)
    assert AuditEntry.objects.count() == entries


def test_the_version_is_checked_against_the_row_as_saved_not_as_read(notice, east_cadre, office):
    """Two requests at once: each read the row before the other saved. The check compares the
    row as the database holds it under the lock (row_version reads it), not the copy the
    request read."""
    from django.core.exceptions import ValidationError

    from xigang.admin import row_version

    mine = Disclosure.objects.get(pk=notice.pk)  # read before the other save
    shown = row_version(mine)
    theirs = Disclosure.objects.get(pk=notice.pk)
    disclosure_record(
        village=theirs.village,
        kind=theirs.kind,
        title=theirs.title,
        posted_from=theirs.posted_from,
        posted_until=datetime.date(2026, 7, 7),
        user=office,
        taken_down_photos=[_png()],
        disclosure=theirs,
        version=shown,
    )
    with pytest.raises(ValidationError) as refused:
        disclosure_record(
            village=mine.village,
            kind=mine.kind,
            title="我改的标题",
            posted_from=mine.posted_from,
            posted_until=datetime.date(2026, 7, 9),
            user=east_cadre,
            disclosure=mine,
            version=shown,
        )
    assert refused.value.code == "stale"
    notice.refresh_from_db()
    assert notice.title == "2026年贫困退出公示"
    assert notice.posted_until == datetime.date(2026, 7, 7)
