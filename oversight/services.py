"""Writes on oversight records: every one validated in full before it is saved."""

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from oversight.models import Finding


@transaction.atomic
def finding_rectify(
    *, finding: Finding, rectified_on: datetime.date, rectification: str, user: User | None = None
) -> Finding:
    """Record that a finding was rectified (verified by the inspecting unit); the first entry
    of the rectification keeps its time and author."""
    finding.rectified_on = rectified_on
    finding.rectification = rectification
    stamp_rectification(finding, user)
    finding.full_clean()
    finding.save(update_fields=["rectified_on", "rectification", "rectified_at", "rectified_by"])
    return finding


def stamp_rectification(finding: Finding, user: User | None) -> None:
    """Entry time and author of a rectification, set once, when its date is first entered."""
    if finding.rectified_on is not None and finding.rectified_at is None:
        finding.rectified_at = timezone.now()
        finding.rectified_by = user if user is not None and user.pk else None
