"""Large ledger imports run as jobs (plugged into xigang.ledgers): the admin's upload of a
workbook above settings.LEDGER_JOB_MIN_BYTES is queued, checked and imported all or nothing, and
the uploader hears the result in their messages."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse

from notices import jobs
from xigang import ledgers


@ledgers.register_background
def import_as_job(*, kind: str, source: UploadedFile, file_name: str, user: User) -> str | None:
    if not jobs.runs_as_job(source.size or 0):
        return None
    jobs.start_import(kind=kind, source=source, user=user, file_name=file_name)
    return reverse("notices:list")
