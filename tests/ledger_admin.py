"""Driving a ledger's admin screens (django-import-export's, on our engine) as a user does:
upload with a format, read the preview, confirm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.test import Client
from django.urls import reverse

FORMATS = {"xlsx": "0", "xls": "1", "csv": "2"}  # the upload form's format choices, in order


def upload(client: Client, model: str, source: Any, *, name: str = "", **extra: Any) -> Any:
    """Post a file (a path, an open file or an UploadedFile) to the import screen of `model`
    ("households_household"): the preview page, or wherever the screen sends the user."""
    if isinstance(source, str | Path):
        source = open(source, "rb")  # noqa: SIM115  # closed below
    name = name or Path(getattr(source, "name", "x.xlsx")).name
    try:
        return client.post(
            reverse(f"admin:{model}_import"),
            {"import_file": source, "format": FORMATS[name.rsplit(".", 1)[-1]]},
            **extra,
        )
    finally:
        if hasattr(source, "close") and not hasattr(source, "content_type"):
            source.close()


def confirm(client: Client, model: str, preview: Any, **extra: Any) -> Any:
    """Confirm the import a preview offers."""
    form = preview.context["confirm_form"]
    return client.post(reverse(f"admin:{model}_process_import"), form.initial, **extra)


def preview_rows(preview: Any) -> list[tuple[int, str]]:
    """(Excel row, new / update / skip) of every row the preview lists as valid."""
    return [(row.number, row.import_type) for row in preview.context["result"].valid_rows()]


def preview_errors(preview: Any) -> list[tuple[int, str, str]]:
    """(Excel row, header, message) of every error the preview lists."""
    return [
        (row.number, header, message)
        for row in preview.context["result"].invalid_rows
        for header, messages in row.error_dict.items()
        for message in messages
    ]
