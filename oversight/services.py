"""Writes on oversight records: every one validated in full before it is saved."""

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oversight.models import Commendation, Finding


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


@transaction.atomic
def commendation_approve(*, commendation: Commendation, by: User) -> Commendation:
    """Approve a proposed commendation in one step (who and when set here); approving twice is
    refused."""
    commendation = Commendation.objects.select_for_update().get(pk=commendation.pk)
    if commendation.approved_at is not None:
        raise ValidationError(_("this commendation was already approved"))
    commendation.approved_by = by
    commendation.approved_at = timezone.now()
    commendation.full_clean()
    commendation.save(update_fields=["approved_by", "approved_at"])
    return commendation


def stamp_rectification(finding: Finding, user: User | None) -> None:
    """Entry time and author of a rectification, set once, when its date is first entered."""
    if finding.rectified_on is not None and finding.rectified_at is None:
        finding.rectified_at = timezone.now()
        finding.rectified_by = user if user is not None and user.pk else None
