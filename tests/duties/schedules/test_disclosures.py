"""公示 records in the portal: village cadres record their own, with photos; scope holds."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from duties.models import Disclosure, Evidence
from tests.forms import shown_version

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _photo(name="公示栏.png", content=PNG):
    return SimpleUploadedFile(name, content)


def _post(client, url, village, **extra):
    data = {
        "village": village.pk,
        "kind": "贫困退出",
        "title": "2026年贫困退出公示",
        "posted_from": "2026-07-01",
        "posted_until": "",
        **extra,
    }
    return client.post(url, data)


def test_a_village_cadre_records_a_notice_with_a_photo_and_closes_it(client, east, east_cadre):
    client.force_login(east_cadre)
    response = _post(client, reverse("duties:disclosure_add"), east, photos=[_photo()])
    assert response.status_code == 302
    notice = Disclosure.objects.get()
    assert (notice.village, notice.kind, notice.posted_until, notice.recorded_by) == (
        east,
        "贫困退出",
        None,
        east_cadre,
    )
    assert notice.evidence.get().original_name == "公示栏.png"
    edit = reverse("duties:disclosure_edit", args=[notice.pk])
    response = _post(
        client,
        edit,
        east,
        posted_until="2026-07-07",
        taken_down_photos=[_photo("撤下后.png")],
        _row_version=shown_version(client, edit),
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert (notice.posted_until, notice.days_posted) == (datetime.date(2026, 7, 7), 7)
    page = client.get(reverse("duties:disclosure_list")).content.decode()
    assert "2026年贫困退出公示" in page and "公示栏.png" in page


def test_another_village_neither_sees_nor_records_for_it(
    client, east, west, east_cadre, west_cadre
):
    client.force_login(east_cadre)
    _post(client, reverse("duties:disclosure_add"), east, photos=[_photo()])
    notice = Disclosure.objects.get()
    photo = notice.evidence.get()
    client.force_login(west_cadre)
    assert client.get(reverse("duties:disclosure_edit", args=[notice.pk])).status_code == 404
    assert client.get(reverse("duties:evidence_download", args=[photo.pk])).status_code == 404
    assert (
        "2026年贫困退出公示" not in client.get(reverse("duties:disclosure_list")).content.decode()
    )
    response = _post(client, reverse("duties:disclosure_add"), east)
    assert response.status_code == 400
    assert "选择一个有效的选项" in response.content.decode()
    assert Disclosure.objects.count() == 1


def test_a_photo_must_be_an_image_and_the_dates_in_order(client, east, east_cadre):
    client.force_login(east_cadre)
    pdf = SimpleUploadedFile("公示.pdf", b"%PDF-1.4\n%%EOF\n")
    response = _post(client, reverse("duties:disclosure_add"), east, photos=[pdf])
    assert response.status_code == 400
    assert "「公示.pdf」不是允许上传的文件" in response.content.decode()
    response = _post(client, reverse("duties:disclosure_add"), east, posted_until="2026-06-30")
    assert "公示结束日期早于开始日期" in response.content.decode()
    assert not Disclosure.objects.exists() and not Evidence.objects.exists()


def test_departments_and_readers_may_not_record(client, east, dept, leader):
    client.force_login(dept)
    assert client.get(reverse("duties:disclosure_add")).status_code == 403
    client.force_login(leader)
    assert client.get(reverse("duties:disclosure_list")).status_code == 200
    assert _post(client, reverse("duties:disclosure_add"), east).status_code == 403


def test_the_list_and_form_say_标题_and_the_dates_are_iso(client, east, east_cadre):
    """The notice's title is 标题 (职务 is a cadre's); <input type=date> takes YYYY-MM-DD only,
    so a notice opened again shows its dates (2026/07/01 would be shown blank)."""
    client.force_login(east_cadre)
    _post(client, reverse("duties:disclosure_add"), east, photos=[_photo()])
    page = client.get(reverse("duties:disclosure_list")).content.decode()
    assert "<th>标题</th>" in page and "职务" not in page
    edit = client.get(reverse("duties:disclosure_edit", args=[Disclosure.objects.get().pk]))
    html = edit.content.decode()
    assert ">标题</label>" in html
    assert re.search(r'<input type="date" name="posted_from" value="2026-07-01"', html)
