"""Completing and waiving obligations, and evidence files, in the portal: all through scope."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from duties.models import Evidence, Obligation
from tests.conftest import workbook

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _pdf(name="发放明细.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _complete(client, user, obligation, **data):
    client.force_login(user)
    return client.post(reverse("duties:obligation_complete", args=[obligation.pk]), data)


def test_department_staff_complete_their_own_obligation_with_evidence(
    client, dept, civil_may, media
):
    response = _complete(client, dept, civil_may, files=[_pdf()], note="5月补贴已发放")
    assert response.status_code == 302
    civil_may.refresh_from_db()
    assert civil_may.status == Obligation.Status.DONE
    assert civil_may.completed_by == dept and civil_may.completed_at is not None
    assert civil_may.note == "5月补贴已发放"
    evidence = civil_may.evidence.get()
    assert evidence.original_name == "发放明细.pdf"
    assert evidence.content_type == "application/pdf"
    # stored under MEDIA_ROOT/evidence with a random name, which no URL serves
    assert (media / evidence.file.name).read_bytes() == PDF
    assert evidence.file.name.startswith("evidence/") and "发放明细" not in evidence.file.name
    page = client.get(reverse("duties:obligation_complete", args=[civil_may.pk]))
    assert "已完成" in page.content.decode() and "发放明细.pdf" in page.content.decode()


def test_a_village_cadre_completes_the_villages_obligation_with_a_workbook(
    client, east_cadre, east_q2, tmp_path
):
    path = workbook(tmp_path / "记录.xlsx", ["日期", "会议"], [["2026-05-12", "支部委员会"]])
    xlsx = SimpleUploadedFile("三会一课记录.xlsx", path.read_bytes())
    assert _complete(client, east_cadre, east_q2, files=[xlsx]).status_code == 302
    east_q2.refresh_from_db()
    assert east_q2.status == "done"


@pytest.mark.parametrize(
    "who, target",
    [
        ("dept", "finance_q2"),
        ("east_cadre", "west_q2"),
        ("west_cadre", "east_q2"),
        ("dept", "east_q2"),
        ("pairing", "east_q2"),
        ("outsider", "civil_may"),
    ],
)
def test_out_of_scope_obligations_answer_404_and_stay_open(client, request, who, target):
    user, obligation = request.getfixturevalue(who), request.getfixturevalue(target)
    client.force_login(user)
    url = reverse("duties:obligation_complete", args=[obligation.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"files": [_pdf()]}).status_code == 404
    obligation.refresh_from_db()
    assert obligation.status == "open" and not obligation.evidence.exists()


def test_whole_town_readers_see_but_may_not_complete(client, leader, inspector, civil_may):
    for user in (leader, inspector):
        client.force_login(user)
        url = reverse("duties:obligation_complete", args=[civil_may.pk])
        page = client.get(url)
        assert page.status_code == 200 and "做好各类保障性补贴的发放工作" in page.content.decode()
        assert "标记为已完成" not in page.content.decode()
        assert client.post(url, {"files": [_pdf()]}).status_code == 403
    civil_may.refresh_from_db()
    assert civil_may.status == "open"


def test_an_exe_renamed_pdf_is_refused_in_chinese_and_nothing_is_written(
    client, dept, civil_may, media
):
    exe = SimpleUploadedFile("明细.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200)
    response = _complete(client, dept, civil_may, files=[exe], note="见附件")
    assert response.status_code == 400
    text = response.content.decode()
    assert "「明细.pdf」不是允许上传的文件" in text
    assert "见附件" in text  # the form keeps what was typed
    civil_may.refresh_from_db()
    assert civil_may.status == "open"
    assert not Evidence.objects.exists() and not (media / "evidence").exists()


def test_a_file_over_10_mb_is_refused(client, dept, civil_may):
    big = _pdf("扫描件.pdf", PDF + b"0" * (10 * 1024 * 1024))
    response = _complete(client, dept, civil_may, files=[big])
    assert response.status_code == 400
    assert "「扫描件.pdf」大小为 10.0 MB，单个文件不能超过 10 MB" in response.content.decode()
    assert not Evidence.objects.exists()


def test_a_png_named_pdf_is_refused_and_completion_needs_a_file(client, dept, civil_may):
    response = _complete(client, dept, civil_may, files=[_pdf("照片.pdf", PNG)])
    assert "扩展名" in response.content.decode()
    response = _complete(client, dept, civil_may, note="无附件")
    assert response.status_code == 400
    assert "请至少上传一个文件作为佐证材料" in response.content.decode()


def test_the_office_waives_with_a_reason_and_departments_may_not(client, office, dept, civil_may):
    url = reverse("duties:obligation_waive", args=[civil_may.pk])
    client.force_login(dept)
    assert client.post(url, {"waived_reason": "不适用"}).status_code == 403
    client.force_login(office)
    response = client.post(url, {"waived_reason": ""})
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()
    assert client.post(url, {"waived_reason": "本月补贴由县级统一发放"}).status_code == 302
    civil_may.refresh_from_db()
    assert civil_may.status == "waived"
    assert (civil_may.waived_by, civil_may.waived_reason) == (office, "本月补贴由县级统一发放")
    assert civil_may.waived_at is not None
    # a waived obligation can no longer be completed
    response = _complete(client, dept, civil_may, files=[_pdf()])
    assert response.status_code == 400 and "已免除" in response.content.decode()


def test_a_department_never_downloads_another_departments_evidence(
    client, dept, finance, office, inspector, east_cadre, civil_may
):
    _complete(client, dept, civil_may, files=[_pdf()])
    evidence = civil_may.evidence.get()
    url = reverse("duties:evidence_download", args=[evidence.pk])
    for outsider in (finance, east_cadre):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    for reader in (dept, office, inspector):
        client.force_login(reader)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]


def test_my_obligations_lists_only_the_users_unit(
    client, dept, finance, civil_may, finance_q2, django_assert_max_num_queries
):
    client.force_login(dept)
    client.get(reverse("duties:obligation_list"))  # generates the periods up to today once
    # session, user, permissions (2), generation check (3), scope (groups, two grants,
    # cadre), count, page, the header's unread messages, and the security middleware's session
    # bookkeeping (3)
    with django_assert_max_num_queries(17):
        page = client.get(reverse("duties:obligation_list") + "?status=all")
    text = page.content.decode()
    assert "做好各类保障性补贴的发放工作" in text
    assert "根据资金分配方案" not in text  # 财政所's
    assert "民政科" in text and "财政所" not in text
