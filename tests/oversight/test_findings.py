"""Findings of inspections (arts. 41, 43): who sees them and when they are overdue."""

import datetime

import pytest

from duties.models import Article, Department
from oversight.models import Finding, Inspection
from oversight.services import finding_extend, finding_rectify, finding_report
from xigang.obligations import Filters, overdue_items
from xigang.scope import visible

pytestmark = pytest.mark.django_db

D = datetime.date
# The scheduled duties' obligations (rule duty.scheduled) are overdue too; these tests look at
# findings only.
FINDINGS = Filters(rule="finding.rectify")


@pytest.fixture
def inspection(db):
    return Inspection.objects.create(
        title="2026年第二季度专项检查",
        department=Department.objects.get(name="督查科"),
        started_on=D(2026, 4, 1),
    )


def _finding(inspection, **subject):
    return Finding.objects.create(
        inspection=inspection,
        article=Article.objects.get(number=39),
        description="帮扶记录不全",
        found_on=D(2026, 5, 1),
        deadline=D(2026, 5, 31),
        **subject,
    )


def test_it_is_overdue_only_after_the_deadline(inspection, east, inspector):
    _finding(inspection, village=east)
    on_deadline = overdue_items(
        user=inspector, as_of=D(2026, 5, 31), since=D(2026, 1, 1), filters=FINDINGS
    )
    day_after = overdue_items(
        user=inspector, as_of=D(2026, 6, 1), since=D(2026, 1, 1), filters=FINDINGS
    )
    assert [i.rule for i in on_deadline] == []
    assert [(i.rule, i.article, i.village, i.days_overdue) for i in day_after] == [
        ("finding.rectify", 41, "东村", 1)
    ]


def _report(finding, user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return finding_report(
        finding=finding,
        rectification="已补齐记录",
        report_file=SimpleUploadedFile("整改报告.pdf", b"%PDF-1.4\n%%EOF\n"),
        user=user,
    )


@pytest.mark.usefixtures("today")
def test_it_is_not_overdue_once_rectified(inspection, east, inspector, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    finding = _finding(inspection, village=east)
    _report(finding, inspector)
    finding_rectify(finding=finding, rectified_on=D(2026, 5, 20), user=inspector)
    assert (
        overdue_items(user=inspector, as_of=D(2026, 7, 1), since=D(2026, 1, 1), filters=FINDINGS)
        == []
    )


def test_it_lists_a_finding_only_for_its_subject_and_the_whole_town(
    cast, inspection, east, civil_affairs
):
    _finding(inspection, village=east)
    _finding(inspection, department=civil_affairs)
    _finding(inspection, cadre=cast["pairing"].cadre)
    seen = {
        name: sorted(str(f.subject) for f in visible(user, Finding.objects.all()))
        for name, user in cast.items()
    }
    assert seen == {
        "leader": sorted(["东村", "民政科", "pairing"]),
        "office": sorted(["东村", "民政科", "pairing"]),
        "inspector": sorted(["东村", "民政科", "pairing"]),
        "dept": ["民政科"],
        "east_cadre": ["东村"],
        "west_cadre": [],
        "pairing": ["pairing"],
        "outsider": [],
    }


def test_only_inspectors_record_inspections(cast):
    allowed = {name for name, user in cast.items() if user.has_perm("oversight.add_inspection")}
    assert allowed == {"inspector"}


def test_it_filters_by_department(inspection, east, civil_affairs, inspector):
    _finding(inspection, village=east)
    _finding(inspection, department=civil_affairs)
    items = overdue_items(
        user=inspector,
        as_of=D(2026, 7, 1),
        since=D(2026, 1, 1),
        filters=Filters(rule="finding.rectify", department="民政科"),
    )
    assert [i.department for i in items] == ["民政科"]


@pytest.mark.cold
def test_it_lists_findings_in_one_query(inspection, east, inspector, django_assert_max_num_queries):
    for _ in range(5):
        _finding(inspection, village=east)
    from xigang.scope import scope_of

    scope_of(inspector)
    with django_assert_max_num_queries(1):  # the open findings joined to their subjects
        items = overdue_items(
            user=inspector,
            as_of=D(2026, 7, 1),
            since=D(2026, 1, 1),
            filters=Filters(rule="finding.rectify"),
        )
    assert len(items) == 5


def test_it_exports_the_findings_ledger_in_scope_and_refuses_to_import_it(
    tmp_path, inspection, east, west, east_cadre
):
    import openpyxl

    from xigang.ledgers import LedgerError, export_ledger, get_kind, import_ledger

    _finding(inspection, village=east)
    _finding(inspection, village=west)
    target = tmp_path / "findings.xlsx"
    assert export_ledger(get_kind("findings")(east_cadre), target) == 1
    rows = list(openpyxl.load_workbook(target).worksheets[0].iter_rows(values_only=True))
    header = rows[2]
    record = dict(zip(header, rows[3], strict=True))
    assert record["责任单位或责任人"] == "东村"
    assert record["涉及条款"] == "第三十九条"
    assert record["状态"] == "未整改"
    with pytest.raises(LedgerError, match="只能导出"):
        import_ledger(get_kind("findings")(east_cadre), target)


@pytest.mark.usefixtures("today")
def test_a_finding_cannot_be_closed_without_a_report(
    inspection, east, inspector, settings, tmp_path
):
    from django.core.exceptions import ValidationError

    settings.MEDIA_ROOT = tmp_path
    finding = _finding(inspection, village=east)
    with pytest.raises(ValidationError, match="整改"):
        finding_rectify(finding=finding, rectified_on=D(2026, 5, 20), user=inspector)
    with pytest.raises(ValidationError) as no_file:
        finding_report(finding=finding, rectification="已整改", report_file=None, user=inspector)
    assert "report_file" in no_file.value.message_dict
    finding.refresh_from_db()
    assert finding.rectified_on is None and finding.reported_at is None
    _report(finding, inspector)
    closed = finding_rectify(finding=finding, rectified_on=D(2026, 5, 20), user=inspector)
    assert (closed.rectified_on, closed.rectified_by) == (D(2026, 5, 20), inspector)


def test_a_deadline_extension_needs_a_reason(inspection, east, inspector):
    from django.core.exceptions import ValidationError

    finding = _finding(inspection, village=east)
    with pytest.raises(ValidationError) as error:
        finding_extend(finding=finding, deadline=D(2026, 6, 30), reason="", user=inspector)
    assert "reason" in error.value.message_dict
    finding_extend(finding=finding, deadline=D(2026, 6, 30), reason="汛期施工受阻", user=inspector)
    finding.refresh_from_db()
    assert finding.deadline == D(2026, 6, 30)
    assert [(e.previous_deadline, e.reason) for e in finding.extensions.all()] == [
        (D(2026, 5, 31), "汛期施工受阻")
    ]


def test_the_rule_cites_articles_41_and_43(inspection, east, inspector):
    _finding(inspection, village=east)
    for article in (41, 43):
        items = overdue_items(
            user=inspector,
            as_of=D(2026, 7, 1),
            since=D(2026, 1, 1),
            filters=Filters(article=article),
        )
        assert [i.rule for i in items if i.rule == "finding.rectify"] == ["finding.rectify"]


@pytest.mark.usefixtures("today")
def test_the_admin_does_not_edit_the_day_rectified(client, inspection, east, inspector):
    finding = _finding(inspection, village=east)
    client.force_login(inspector)
    page = client.get(f"/admin/oversight/finding/{finding.pk}/change/").content.decode()
    assert 'name="rectified_on"' not in page and 'name="deadline"' not in page


@pytest.mark.usefixtures("today")
def test_the_finding_page_reports_then_the_inspector_closes(
    client, inspection, east, east_cadre, inspector, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    finding = _finding(inspection, village=east)
    url = f"/oversight/findings/{finding.pk}/"
    client.force_login(east_cadre)
    assert client.post(url, {"action": "close", "rectified_on": "2026-11-30"}).status_code == 403
    response = client.post(url, {"action": "report", "rectification": "已整改"})
    assert "附上整改证明材料" in response.content.decode() or response.status_code == 200
    upload = SimpleUploadedFile("整改.pdf", b"%PDF-1.4\n%%EOF\n")
    report = client.post(
        url, {"action": "report", "rectification": "已整改", "report_file": upload}
    )
    assert report.status_code == 302
    client.force_login(inspector)
    assert client.post(url, {"action": "close", "rectified_on": "2026-11-30"}).status_code == 302
    finding.refresh_from_db()
    assert (finding.rectified_on, finding.reported_by, finding.rectified_by) == (
        D(2026, 11, 30),
        east_cadre,
        inspector,
    )
