"""Jobs in the admin: 扶贫办 starts an import as a job and reads its progress and result."""

from django.urls import reverse

from households.models import Household
from notices.models import Job
from tests.conftest import workbook
from tests.households.conftest import TITLE
from tests.households.test_ledgers import H_HEADERS, _household_row


def _start(client, tmp_path, rows):
    path = workbook(tmp_path / "in.xlsx", H_HEADERS, rows, title=TITLE)
    with path.open("rb") as upload:
        return client.post(
            reverse("admin:notices_job_add"),
            {"kind": Job.Kind.LEDGER_IMPORT, "ledger": "households", "workbook": upload},
        )


def test_an_import_started_in_the_admin_shows_its_progress_and_result(
    client, office, east, tmp_path
):
    client.force_login(office)
    assert _start(client, tmp_path, [_household_row(1)]).status_code == 302
    job = Job.objects.get()
    assert Household.objects.filter(number="东村-001").exists()
    page = client.get(reverse("admin:notices_job_change", args=[job.pk])).content.decode()
    assert '<progress value="1" max="1">' in page
    assert "已完成" in page
    listing = client.get(reverse("admin:notices_job_changelist")).content.decode()
    assert "导入台账" in listing


def test_a_failed_import_in_the_admin_says_why_in_chinese(client, office, east, tmp_path):
    client.force_login(office)
    _start(client, tmp_path, [_household_row(1, 村="北村")])
    job = Job.objects.get()
    page = client.get(reverse("admin:notices_job_change", args=[job.pk])).content.decode()
    assert "失败" in page and "北村" in page
    assert not Household.objects.exists()


def test_an_import_job_without_a_workbook_is_refused(client, office):
    client.force_login(office)
    page = client.post(
        reverse("admin:notices_job_add"), {"kind": Job.Kind.LEDGER_IMPORT, "ledger": "households"}
    ).content.decode()
    assert "请选择要导入的工作簿。" in page
    assert not Job.objects.exists()


def test_jobs_are_not_for_scoped_roles(client, dept):
    client.force_login(dept)
    assert client.get(reverse("admin:notices_job_changelist")).status_code == 403
