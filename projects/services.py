"""Writes of projects and assets: the 公示 files, the completion acceptance and each year's
收益分配. Entry times and authors are set here, never typed."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.schedules.evidence import store
from projects.models import Asset, Distribution, Notice, Project


def notice_add(
    *,
    upload: Any,
    user: User,
    stage: str,
    posted_on: datetime.date,
    project: Project | None = None,
    distribution: Distribution | None = None,
) -> Notice:
    """Store a 公示's photo or file (its content checked, as the duties' evidence is), with the
    day it was posted; the upload time and the uploader are the server's."""
    if posted_on > timezone.localdate():
        raise ValidationError(
            {"posted_on": _("the day posted %(day)s is in the future") % {"day": posted_on}}
        )
    notice = Notice(project=project, distribution=distribution, stage=stage, posted_on=posted_on)
    return store(notice, upload, user=user)


def project_accept(
    *, project: Project, user: User, accepted_on: datetime.date, note: str = ""
) -> Project:
    """Record the completion acceptance (验收) of a finished project, once."""
    if project.accepted_on is not None:
        raise ValidationError(
            _("the project 「%(name)s」 was already accepted on %(day)s")
            % {"name": project.name, "day": project.accepted_on}
        )
    if project.finished_on is None:
        raise ValidationError(
            {
                "accepted_on": _("the project 「%(name)s」 has no completion date yet")
                % {"name": project.name}
            }
        )
    if accepted_on < project.finished_on or accepted_on > timezone.localdate():
        raise ValidationError(
            {
                "accepted_on": _(
                    "the acceptance date %(day)s must be between the completion date "
                    "%(finished)s and today"
                )
                % {"day": accepted_on, "finished": project.finished_on}
            }
        )
    project.accepted_on = accepted_on
    project.acceptance_note = note
    project.accepted_by = user
    project.accepted_at = timezone.now()
    project.full_clean()
    project.save(update_fields=["accepted_on", "acceptance_note", "accepted_by", "accepted_at"])
    return project


def distribution_record(
    *,
    asset: Asset,
    user: User,
    year: int,
    income: Decimal,
    distributed: Decimal,
    households: int,
    decided_on: datetime.date,
    notice: Any = None,
    posted_on: datetime.date | None = None,
) -> Distribution:
    """Record an asset's 收益分配 of one year, with its 公示 when given (all or nothing)."""
    errors: dict[str, str] = {}
    if distributed > income:
        errors["distributed"] = _(
            "the amount distributed (%(distributed)s) is more than the income (%(income)s)"
        ) % {"distributed": distributed, "income": income}
    if year > decided_on.year + 1 or year < asset.registered_on.year:
        errors["year"] = _(
            "the year %(year)d is before the asset was registered (%(registered)s) or after "
            "the decision"
        ) % {"year": year, "registered": asset.registered_on}
    if Distribution.objects.filter(asset=asset, year=year).exists():
        errors["year"] = _("the %(year)d distribution of this asset is already recorded") % {
            "year": year
        }
    if notice is not None and posted_on is None:
        errors["posted_on"] = _("say the day the 公示 was posted")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        distribution = Distribution(
            asset=asset,
            year=year,
            income=income,
            distributed=distributed,
            households=households,
            decided_on=decided_on,
            recorded_by=user,
        )
        distribution.full_clean()
        distribution.save()
        if notice is not None and posted_on is not None:
            notice_add(
                upload=notice,
                user=user,
                stage=Notice.Stage.DISTRIBUTION,
                posted_on=posted_on,
                distribution=distribution,
            )
    return distribution
