"""Long work as jobs: a Job row says what to do and shows its progress and result in the admin;
the task `notices.tasks.run_job` does it on the worker.

A job that fails says why in Chinese and writes nothing: each kind's work runs in one
transaction (the ledger engine's own all-or-nothing; generation and the day's run here)."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notices.models import Job, Notice
from notices.tasks import run_job
from xigang import history
from xigang.commands import system_user
from xigang.ledgers import LedgerError, get_kind, import_ledger
from xigang.obligations import state_check
from xigang.scope import visible

logger = logging.getLogger(__name__)
# A failed import reports this many of its errors (the rest are counted in its summary).
FIRST_ERRORS = 20

Work = Callable[[Job], tuple[str, str]]  # (result, errors); errors means failed


def _enqueue(job: Job) -> Job:
    run_job.enqueue(job.pk)
    return job


def start_day(*, day: datetime.date) -> tuple[Job, bool]:
    """The day's messages and digests, queued once per day whoever asks again."""
    with transaction.atomic():
        job, created = Job.objects.get_or_create(
            kind=Job.Kind.DAY,
            key=day.isoformat(),
            defaults={"title": _("Messages and digests of %(day)s") % {"day": day.isoformat()}},
        )
        if created:
            _enqueue(job)
    return job, created


def start_generation(*, through: datetime.date, user: User | None = None) -> Job:
    with transaction.atomic():
        job = Job.objects.create(
            kind=Job.Kind.GENERATION,
            title=_("Obligations through %(day)s") % {"day": through.isoformat()},
            params={"through": through.isoformat()},
            created_by=user,
        )
        return _enqueue(job)


def upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "jobs"


def start_import(
    *,
    kind: str,
    source: UploadedFile | Path,
    user: User,
    dry_run: bool = False,
    file_name: str = "",
) -> Job:
    """A ledger import as a job (for workbooks above settings.LEDGER_JOB_MIN_BYTES): the file is
    kept under MEDIA_ROOT/jobs until the job has read it."""
    title = get_kind(kind).title  # an unknown kind is refused here, before anything is kept
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.xlsx"
    if isinstance(source, Path):
        path.write_bytes(source.read_bytes())
    else:
        with path.open("wb") as out:
            for chunk in source.chunks():
                out.write(chunk)
    with transaction.atomic():
        job = Job.objects.create(
            kind=Job.Kind.LEDGER_IMPORT,
            title=_("Import of the ledger 「%(title)s」") % {"title": title},
            params={
                "kind": kind,
                "path": str(path),
                "dry_run": dry_run,
                "file_name": file_name or getattr(source, "name", ""),
            },
            created_by=user,
        )
        return _enqueue(job)


def runs_as_job(size: int) -> bool:
    """Whether a workbook of `size` bytes is imported by a job rather than in the request."""
    return size > settings.LEDGER_JOB_MIN_BYTES


def _actor(job: Job) -> User:
    if job.created_by_id:
        return get_user_model().objects.get(pk=job.created_by_id)
    return system_user()


def _import(job: Job) -> tuple[str, str]:
    path = Path(job.params["path"])
    user = _actor(job)
    try:
        with history.acting(user, "job"):
            report = import_ledger(
                get_kind(job.params["kind"])(user),
                path,
                dry_run=job.params.get("dry_run", False),
                file_name=job.params.get("file_name", ""),
            )
    except (LedgerError, FileNotFoundError) as exc:
        return "", str(exc)
    finally:
        path.unlink(missing_ok=True)
    lines = report.lines()
    if not report.ok:
        return "", "\n".join(lines[: 1 + FIRST_ERRORS])
    return "\n".join(lines), ""


def _generate(job: Job) -> tuple[str, str]:
    return _generate_through(datetime.date.fromisoformat(job.params["through"])), ""


def _generate_through(through: datetime.date) -> str:
    from duties.schedules.generation import generate_obligations, mark_generated

    with transaction.atomic():
        created = generate_obligations(through=through)
        mark_generated(through=through)
    return _("%(n)d obligations created through %(date)s.") % {
        "n": created,
        "date": through.isoformat(),
    }


def _day(job: Job) -> tuple[str, str]:
    """The day's obligations first, the inspectors' signals, then the messages and digests that
    count them."""
    from notices.day import run_day

    def progress(done: int, total: int) -> None:
        Job.objects.filter(pk=job.pk).update(done=done, total=total)

    from oversight.signals import compute_signals

    day = datetime.date.fromisoformat(job.key)
    generated = _generate_through(day)
    # The stored obligation states checked against a recomputation, then rebuilt through
    # today's period, before the messages count the overdue items.
    differing = {rule: n for rule, n in state_check(rebuild=True).items() if n}
    if differing:
        logger.error("stored obligation state differs from the recomputation: %s", differing)
    signals = compute_signals()  # the inspectors' 疑点: only the visits entered since the last run
    found = _("Signals: %(read)d visits read, %(written)d signals written.") % {
        "read": signals.visits_read,
        "written": signals.signals_written,
    }
    checked = _("Stored obligation state: %(n)d rows differed from the recomputation.") % {
        "n": sum(differing.values())
    }
    return f"{generated}\n{checked}\n{found}\n{run_day(day=day, progress=progress)}", ""


WORK: dict[str, Work] = {
    Job.Kind.LEDGER_IMPORT: _import,
    Job.Kind.GENERATION: _generate,
    Job.Kind.DAY: _day,
}


def run(job_id: int) -> str:
    """Do the job and record its end; returns its status."""
    job = Job.objects.get(pk=job_id)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    with translation.override(settings.LANGUAGE_CODE):
        try:
            result, errors = WORK[job.kind](job)
        except Exception as exc:  # noqa: BLE001  the admin must say why; its transaction wrote nothing
            logger.exception("job %s failed", job.pk)
            result, errors = (
                "",
                _("The job stopped, nothing was written: %(error)s") % {"error": exc},
            )
        status = Job.Status.FAILED if errors else Job.Status.DONE
        job.status, job.result, job.errors = status, result, errors
        job.finished_at = timezone.now()
        if status == Job.Status.DONE:
            job.done = job.total = max(job.total, 1)
        job.save(update_fields=["status", "result", "errors", "finished_at", "done", "total"])
        if job.kind == Job.Kind.LEDGER_IMPORT and job.created_by_id:
            from notices.events import notify

            notify(
                user_ids=[job.created_by_id],
                kind=Notice.Kind.IMPORT_FINISHED,
                key=f"job:{job.pk}",
                # The result or the first errors: the uploader may not see the jobs' screen.
                text=f"{job.title}：{job.get_status_display()}。{errors or result}",
                # The job's screen only for those who may open it (the whole-town roles).
                link=reverse("admin:notices_job_change", args=[job.pk])
                if visible(_actor(job), Job.objects.filter(pk=job.pk)).exists()
                else "",
            )
    return status
