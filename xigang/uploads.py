"""The one entry point for checking an uploaded file, for every app.

The checking itself (content by magic bytes, 10 MB, the name matching the content) lives in
`duties.evidence`, where evidence uploads first needed it; other uploads call it through here
so that there is one implementation."""

from __future__ import annotations

from duties.schedules.evidence import ALL, IMAGES, MAX_BYTES, check_upload, sniff

__all__ = ["ALL", "IMAGES", "MAX_BYTES", "sniff", "validate_upload"]


def validate_upload(upload, allowed: frozenset[str] = ALL) -> str:
    """The upload's kind ("pdf", "jpeg", "xlsx", ...); ValidationError in Chinese otherwise."""
    kind, _content_type = check_upload(upload, allowed=frozenset(allowed))
    return kind
