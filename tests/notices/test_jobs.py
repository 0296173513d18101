"""Long work as jobs: a failed import writes nothing and says why; the database worker and the
Redis (RQ) worker run the same job; the day's work is queued once a day."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from households.models import Household
from notices import jobs
from notices.models import Job, Notice
from oversight.models import SignalRun
from tests.conftest import redis_up, workbook
from tests.households.conftest import TITLE
from tests.households.test_ledgers import H_HEADERS, _household_row
from tests.ledger_admin import upload as upload_ledger
from xigang.models import LedgerImport


def _households(tmp_path, rows):
    return workbook(tmp_path / "in.xlsx", H_HEADERS, rows, title=TITLE)


def test_a_failed_import_job_writes_nothing_and_reports_the_first_errors(tmp_path, office, east):
    rows = [_household_row(1)] + [_household_row(n, 村="北村") for n in range(2, 40)]
    job = jobs.start_import(kind="households", source=_households(tmp_path, rows), user=office)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert not Household.objects.exists()
    errors = job.errors.splitlines()
    assert "未写入" in errors[0] and "38" in errors[0]  # the ledger engine's own summary
    assert "北村" in errors[1]
    assert len(errors) == 1 + jobs.FIRST_ERRORS
    # The person who started it hears that it ended.
    notice = Notice.objects.get(user=office, kind=Notice.Kind.IMPORT_FINISHED)
    assert "失败" in notice.text


def test_an_import_job_imports_and_its_file_is_removed(tmp_path, office, east):
    job = jobs.start_import(
        kind="households", source=_households(tmp_path, [_household_row(1)]), user=office
    )
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (Job.Status.DONE, 1, 1)
    assert Household.objects.filter(number="东村-001").exists()
    assert list(jobs.upload_dir().iterdir()) == []


def test_a_large_upload_in_the_admin_is_imported_by_a_job(client, settings, tmp_path, office, east):
    """Above the size, the records screen queues the import instead of holding the request; the
    uploader's message gives the result, and the import keeps the uploaded file's name."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LEDGER_JOB_MIN_BYTES = 1
    source = _households(tmp_path, [_household_row(1), _household_row(2)])
    client.force_login(office)
    with open(source, "rb") as handle:
        upload = SimpleUploadedFile("东村户台账.xlsx", handle.read())
    response = upload_ledger(client, "households_household", upload, follow=True)
    assert response.redirect_chain[-1][0] == reverse("notices:list")
    assert "后台" in response.content.decode()  # says where the result will be
    assert Household.objects.filter(number__in=["东村-001", "东村-002"]).count() == 2
    assert LedgerImport.objects.get().file_name == "东村户台账.xlsx"
    notice = Notice.objects.get(user=office, kind=Notice.Kind.IMPORT_FINISHED)
    assert "完成" in notice.text and "2" in notice.text
    assert notice.link.startswith("/admin/notices/job/")  # the office may open the job


def test_a_small_upload_stays_in_the_request(client, settings, tmp_path, office, east):
    settings.MEDIA_ROOT = tmp_path / "media"
    source = _households(tmp_path, [_household_row(1)])
    client.force_login(office)
    with open(source, "rb") as handle:
        upload = SimpleUploadedFile("small.xlsx", handle.read())
    response = upload_ledger(client, "households_household", upload)
    assert response.status_code == 200 and response.context["confirm_form"]  # the preview
    assert not Job.objects.exists() and not Household.objects.exists()


def test_an_import_refused_for_the_user_says_so_in_chinese(tmp_path, pairing, east):
    job = jobs.start_import(
        kind="households", source=_households(tmp_path, [_household_row(1)]), user=pairing
    )
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "没有导入台账" in job.errors
    assert not Household.objects.exists()
    # Told in the message itself, with no link to a jobs screen the cadre cannot open.
    notice = Notice.objects.get(user=pairing, kind=Notice.Kind.IMPORT_FINISHED)
    assert "没有导入台账" in notice.text and notice.link == ""


def test_the_day_is_queued_once(db, today, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    call_command("enqueue_daily")
    call_command("enqueue_daily")
    assert Job.objects.filter(kind=Job.Kind.DAY, key=today.isoformat()).count() == 1


# The workers close the connection after a job (as a worker should): on PostgreSQL that ends a
# test's transaction, so these two commit for real and put the migrations' rows back after.
WORKER_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@WORKER_DB
def test_the_database_worker_runs_a_queued_job(today, settings, dept):
    settings.TASKS = {
        "default": {"BACKEND": settings.TASK_BACKENDS["database"], "QUEUES": ["default"]}
    }
    job, _created = jobs.start_day(day=today)
    assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED
    call_command("db_worker", "--batch", "--no-startup-delay", "--max-tasks", "1")
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.errors
    assert "条消息" in job.result
    # The inspectors' signals ran in the same job: a run is recorded and the result says so.
    assert "疑点：读取走访记录" in job.result and SignalRun.objects.exists()


@WORKER_DB
@pytest.mark.redis
@pytest.mark.skipif(not redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_the_redis_worker_runs_the_same_job(today, settings, dept):
    import django_rq

    settings.TASKS = {
        "default": {"BACKEND": settings.TASK_BACKENDS["redis"], "QUEUES": ["default"]}
    }
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:6379/15"}}
    queue = django_rq.get_queue("default")
    queue.empty()
    job, _created = jobs.start_day(day=today)
    assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED
    call_command(
        "rqworker",
        "default",
        "--burst",
        "--job-class",
        "django_tasks_rq.Job",
        "--worker-class",
        "rq.worker.SimpleWorker",
    )
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.errors
    queue.empty()
