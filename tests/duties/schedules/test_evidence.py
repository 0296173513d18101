"""The one check of uploaded files (duties.schedules.evidence): content by magic bytes, size,
name."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from duties.schedules.evidence import check_upload


def test_an_upload_is_checked_by_content_and_size():
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 an executable", "application/pdf")
    with pytest.raises(ValidationError):
        check_upload(fake)
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4" + b"0" * (10 * 1024 * 1024), "application/pdf")
    with pytest.raises(ValidationError) as exc:
        check_upload(big)
    assert "10" in str(exc.value)
    ok = SimpleUploadedFile("ok.pdf", b"%PDF-1.4 x", "application/pdf")
    assert check_upload(ok) == ("pdf", "application/pdf")
