"""Writes of 两不愁三保障 (art. 38): assessments, the gaps they open, and a gap's closing.

An item assessed as not met opens a gap (unless one is open already), routed to the department
that answers for the item (`households.responsibility.ASSESSMENT_DEPARTMENTS`), due after the
days in force on the day it was found. Only that department closes it, with evidence (a text
and/or a file), and only once a later assessment has found the item met.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Department
from duties.organisation.params import in_force
from duties.schedules.evidence import check_upload
from households.assessments.models import AssessmentGap
from households.models import Assessment, Household
from households.responsibility import ASSESSMENT_DEPARTMENTS

GAP_RULE = "assessment.gap"


def gap_due(found_on: datetime.date) -> datetime.date:
    """The due day of a gap found on `found_on`: the days in force on that day (art. 44)."""
    return found_on + datetime.timedelta(days=in_force(GAP_RULE, "days").on(found_on))


def _author(user: User | AnonymousUser | None) -> User | None:
    return user if isinstance(user, User) and user.pk else None


def _open_gap(assessment: Assessment) -> None:
    """Route a not-met item to its department, unless a gap for it is open already."""
    if AssessmentGap.objects.filter(
        household_id=assessment.household_id, item=assessment.item, closed_at__isnull=True
    ).exists():
        return
    name, _article = ASSESSMENT_DEPARTMENTS[assessment.item]
    department = Department.objects.filter(name=name).first()
    if department is None:
        raise ValidationError(
            _("no department is named %(name)s: it answers for %(item)s when not met")
            % {"name": name, "item": assessment.get_item_display()}
        )
    gap = AssessmentGap(
        household_id=assessment.household_id,
        item=assessment.item,
        department=department,
        found_by=assessment,
        found_on=assessment.assessed_on,
        due=gap_due(assessment.assessed_on),
    )
    gap.full_clean()
    gap.save()


@transaction.atomic
def assessment_record(
    *,
    household: Household,
    item: str,
    met: bool,
    assessed_on: datetime.date,
    assessed_by: User | None = None,
    note: str = "",
) -> Assessment:
    """Record one item as met or not on a day (a second record the same day replaces it); the
    entry time and author are set here. A not-met item opens a gap for its department."""
    assessment = Assessment.objects.filter(
        household=household, item=item, assessed_on=assessed_on
    ).first() or Assessment(household=household, item=item, assessed_on=assessed_on)
    assessment.met = met
    assessment.note = note.strip()
    return assessment_save(assessment=assessment, assessed_by=assessed_by)


@transaction.atomic
def assessment_save(*, assessment: Assessment, assessed_by: User | None) -> Assessment:
    """Save one assessment (new, or corrected in the admin) with its author and entry time; an
    item not met opens a gap for its department."""
    if assessment.assessed_on > timezone.localdate():
        raise ValidationError(
            {
                "assessed_on": _("the assessment date %(day)s is in the future")
                % {"day": assessment.assessed_on.isoformat()}
            }
        )
    assessment.assessed_by = assessed_by
    assessment.entered_by = _author(assessed_by)
    assessment.full_clean()
    assessment.save()
    if not assessment.met:
        _open_gap(assessment)
    return assessment


@transaction.atomic
def assessment_enter(
    *,
    household: Household,
    assessed_on: datetime.date,
    results: dict[str, bool],
    assessed_by: User,
    note: str = "",
) -> list[Assessment]:
    """Record every item of 一达标、两不愁、三保障 at once, as the phone form does."""
    missing = [label for value, label in Assessment.Item.choices if value not in results]
    if missing:
        raise ValidationError(
            _("assess every item: %(items)s missing") % {"items": "、".join(map(str, missing))}
        )
    return [
        assessment_record(
            household=household,
            item=item,
            met=results[item],
            assessed_on=assessed_on,
            assessed_by=assessed_by,
            note=note,
        )
        for item in Assessment.Item.values
    ]


def reassessment_of(gap: AssessmentGap) -> Assessment | None:
    """The latest assessment after the gap was found that finds its item met (one query)."""
    return (
        Assessment.objects.filter(
            household_id=gap.household_id,
            item=gap.item,
            assessed_on__gt=gap.found_on,
            met=True,
        )
        .order_by("-assessed_on")
        .first()
    )


@transaction.atomic
def gap_close(
    *, gap: AssessmentGap, user: User, evidence: str = "", upload: Any = None
) -> AssessmentGap:
    """Close a gap: the department's evidence (a text, a file, or both) and a re-assessment
    after the gap was found that finds the item met. Closing time and author are set here."""
    gap = AssessmentGap.objects.select_for_update().get(pk=gap.pk)
    if gap.closed_at is not None:
        raise ValidationError(_("this gap was already closed"))
    evidence = evidence.strip()
    if not evidence and upload is None:
        raise ValidationError(
            {"evidence": _("say what was done, or attach a file: a gap closes with evidence")}
        )
    reassessment = reassessment_of(gap)
    if reassessment is None:
        raise ValidationError(
            _(
                "%(item)s of household %(number)s has not been re-assessed as met since "
                "%(day)s: ask the pairing cadre to re-assess it first"
            )
            % {
                "item": gap.get_item_display(),
                "number": gap.household.number,
                "day": gap.found_on.isoformat(),
            }
        )
    if upload is not None:
        try:
            _kind, content_type = check_upload(upload)
        except ValidationError as exc:
            raise ValidationError({"upload": exc.messages}) from exc
        gap.evidence_name = upload.name[:200]
        gap.evidence_type = content_type
        upload.seek(0)
        gap.evidence_file.save(upload.name, upload, save=False)
    gap.evidence = evidence
    gap.closed_by = reassessment
    gap.closed_at = timezone.now()
    gap.closed_user = user
    gap.full_clean()
    gap.save()
    return gap
