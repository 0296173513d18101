"""Validation rules of oversight records, one function per rule, one message each: called by
the services and the admin's forms alike."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oversight.models import Accountability

ORGANISATION = "组织科"  # art. 5: it manages the 第一书记

# What the admin's and the portal's measure fields say of art. 43's ladder and its 从重.
LADDER_HELP = gettext_lazy(
    "Art. 43: a minor case takes criticism and education or an admonishment talk; a serious "
    "one a circulated criticism or an ordered public apology; a grave one a transfer from post "
    "or dismissal. A case found by supervision, inspection or assessment is dealt with more "
    "heavily (从重): the heavier measure of its own step, never a step beyond (that would be "
    "加重)."
)


def ladder_error(*, severity: str, measure: str, aggravated: bool) -> str:
    """Why `measure` does not follow art. 43's ladder for `severity` ("" when it does). 从重
    (found by inspection) takes the heavier measure of the step."""
    # 从重: 纪律处分条例 (2023) art. 22(2), the heavier within the range; 加重, art. 23(2), a step beyond.
    if not severity:
        return _("choose how serious the case is (情节较轻、较重或严重)")
    if measure == Accountability.Measure.DISCIPLINE:
        return _(
            "Party or administrative discipline is referred on top of a measure: choose the "
            "measure and fill in the referral"
        )
    lighter, heavier = Accountability.LADDER[severity]
    if measure not in (lighter, heavier):
        return _("art. 43: a %(severity)s case takes %(lighter)s or %(heavier)s") % {
            "severity": severity,
            "lighter": lighter,
            "heavier": heavier,
        }
    if aggravated and measure != heavier:
        return _(
            "art. 43: a case found by inspection takes the heavier measure (从重): %(heavier)s"
        ) % {"heavier": heavier}
    return ""


def decision_errors(
    *, decided_on: datetime.date | None, referred_on: datetime.date | None, referral: str
) -> dict[str, list[str]]:
    """Why an accountability decision's dates or referral cannot stand, by field."""
    errors: dict[str, list[str]] = {}
    if decided_on is not None and decided_on > timezone.localdate():
        errors["decided_on"] = [_("the day decided is after today")]
    if bool(referral.strip()) != (referred_on is not None):
        errors["referral"] = [_("a discipline referral needs both its date and to whom")]
    return errors


def report_error(*, rectification: str, has_file: bool) -> str:
    """Why a finding cannot be reported or closed yet ("" when it can)."""
    if not rectification.strip():
        return _("write what was rectified (the rectification report)")
    if not has_file:
        return _("attach the evidence of the rectification")
    return ""
