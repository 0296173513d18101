"""Evidence files: the type is read from the content (magic bytes), never from the name.

Accepted: PDF, JPEG, PNG, GIF, WebP images, and the Office Open XML workbooks (.xlsx) and
documents (.docx), which are zip archives recognised by their part names, without macros. At
most the size every upload may have (`xigang.upload_limits`, settings.UPLOAD_MAX_BYTES).
"""

from __future__ import annotations

import zipfile
from typing import IO, TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from xigang.upload_limits import check_size

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from duties.models import StoredFile

F = TypeVar("F", bound="StoredFile")

# kind -> (content type, file name extensions)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", ("pdf",)),
    "jpeg": ("image/jpeg", ("jpg", "jpeg")),
    "png": ("image/png", ("png",)),
    "gif": ("image/gif", ("gif",)),
    "webp": ("image/webp", ("webp",)),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ("xlsx",),
    ),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ("docx",),
    ),
}
IMAGES = frozenset({"jpeg", "png", "gif", "webp"})
ALL = frozenset(KINDS)


def sniff(handle: IO[bytes]) -> str | None:
    """The kind of file by its content, or None when it is none of the accepted ones."""
    handle.seek(0)
    head = handle.read(16)
    handle.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(handle) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        finally:
            handle.seek(0)
        if any(name.endswith("vbaProject.bin") for name in names):
            return None  # a macro-enabled .xlsm or .docm, whatever its name says
        if "[Content_Types].xml" in names:
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "word/document.xml" in names:
                return "docx"
    return None


def check_upload(upload: Any, *, allowed: frozenset[str] = ALL) -> tuple[str, str]:
    """(kind, content type) of an accepted upload; a ValidationError in Chinese otherwise,
    naming the file and what is wrong."""
    name = upload.name
    check_size(name, upload.size)
    kind = sniff(upload)
    accepted = "、".join(
        ext.upper() for k in sorted(allowed) for ext in KINDS[k][1] if ext != "jpeg"
    )
    if kind is None or kind not in allowed:
        raise ValidationError(
            _("「%(name)s」 is not an accepted file: its content is not %(accepted)s")
            % {"name": name, "accepted": accepted}
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in KINDS[kind][1]:
        raise ValidationError(
            _("「%(name)s」 is a %(kind)s file by its content but its name ends in .%(ext)s")
            % {"name": name, "kind": kind.upper(), "ext": extension}
        )
    return kind, KINDS[kind][0]


def store(record: F, upload: Any, *, user: User, allowed: frozenset[str] = ALL) -> F:
    """Check an upload (`check_upload`) and save it as `record`'s file, with its name, type,
    size and author; the entry time is the server's. A ValidationError in Chinese otherwise."""
    _kind, content_type = check_upload(upload, allowed=allowed)
    record.original_name = upload.name[:200]
    record.content_type = content_type
    record.size = upload.size
    record.uploaded_by = user
    upload.seek(0)
    record.file.save(upload.name, upload, save=False)
    record.full_clean()
    record.save()
    return record
