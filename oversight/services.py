"""Writes on oversight records: every one validated in full before it is saved."""

import datetime

from django.db import transaction

from oversight.models import Finding


@transaction.atomic
def finding_rectify(
    *, finding: Finding, rectified_on: datetime.date, rectification: str
) -> Finding:
    """Record that a finding was rectified (verified by the inspecting unit)."""
    finding.rectified_on = rectified_on
    finding.rectification = rectification
    finding.full_clean()
    finding.save(update_fields=["rectified_on", "rectification"])
    return finding
