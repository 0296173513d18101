"""Writes on scheduled duties: completing and waiving obligations, evidence, 公示 records.

Views, the admin and the demo call these; the caller has already authorised the user (scope
and model permissions). Each function validates, then writes in one transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import (
    Department,
    Disclosure,
    Duty,
    DutySchedule,
    Evidence,
    Obligation,
    Village,
)
from duties.schedules.evidence import ALL, IMAGES, check_upload, store
from duties.schedules.generation import schedule_in_force
from xigang.admin import refuse_stale


def evidence_add(
    *,
    upload: Any,
    user: User,
    obligation: Obligation | None = None,
    disclosure: Disclosure | None = None,
    moment: str = "",
) -> Evidence:
    """Store one uploaded file after checking its content and size; the entry time and the
    author are set here (a 公示 photo also says whether it shows the notice posted or taken
    down)."""
    evidence = Evidence(obligation=obligation, disclosure=disclosure, moment=moment)
    return store(evidence, upload, user=user, allowed=IMAGES if disclosure else ALL)


def _check_all(uploads: Iterable, allowed: frozenset[str]) -> list:
    """Check every file before storing any, so that a refused one leaves nothing behind."""
    uploads = list(uploads)
    errors = []
    for upload in uploads:
        try:
            check_upload(upload, allowed=allowed)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"files": errors})
    return uploads


@transaction.atomic
def obligation_complete(
    *, obligation: Obligation, user: User, note: str = "", files: Iterable = ()
) -> Obligation:
    """Mark an open obligation done, with its evidence (at least one file, new or earlier)."""
    uploads = _check_all(files, ALL)
    obligation = Obligation.objects.select_for_update().get(pk=obligation.pk)
    if obligation.status != Obligation.Status.OPEN:
        raise ValidationError(
            _("this obligation is already %(status)s") % {"status": obligation.get_status_display()}
        )
    if not uploads and not obligation.evidence.exists():
        raise ValidationError({"files": [_("attach at least one file as evidence")]})
    for upload in uploads:
        evidence_add(upload=upload, user=user, obligation=obligation)
    obligation.status = Obligation.Status.DONE
    obligation.completed_at = timezone.now()
    obligation.completed_by = user
    obligation.note = note.strip()
    obligation.full_clean()
    obligation.save()
    return obligation


@transaction.atomic
def obligation_waive(*, obligation: Obligation, user: User, reason: str) -> Obligation:
    """扶贫办 releases a unit from one period of a duty, with a reason (kept, as is who and when)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"waived_reason": [_("give the reason for waiving")]})
    obligation = Obligation.objects.select_for_update().get(pk=obligation.pk)
    if obligation.status != Obligation.Status.OPEN:
        raise ValidationError(
            _("this obligation is already %(status)s") % {"status": obligation.get_status_display()}
        )
    obligation.status = Obligation.Status.WAIVED
    obligation.waived_reason = reason
    obligation.waived_at = timezone.now()
    obligation.waived_by = user
    obligation.full_clean()
    obligation.save()
    return obligation


def _first_photo_day(disclosure: Disclosure, moment: str, adding: bool) -> datetime.date | None:
    """The local day the first photo of this moment was entered, if any (`adding`: one is
    entered now)."""
    first = None
    if disclosure.pk:
        photos = disclosure.evidence.filter(moment=moment)
        first = photos.aggregate(first=Min("uploaded_at"))["first"]
    if first is not None:
        return timezone.localdate(first)
    return timezone.localdate() if adding else None


def _judge_disclosure(
    disclosure: Disclosure, *, established: int | None, posting: bool, taking_down: bool
) -> None:
    """What the photos prove (docs/design.md, "公示 with proof"): posted from the later of the
    typed first day and the day the first photo of it posted was entered; up to the earlier of
    the typed last day and the day the first photo of it taken down was entered; the days
    between, both ends counted, never more than `established` (the days already judged).
    `posting`, `taking_down`: photos of that moment are entered with this save."""
    posted_on = _first_photo_day(disclosure, Evidence.Moment.POSTED, posting)
    taken_down_on = _first_photo_day(disclosure, Evidence.Moment.TAKEN_DOWN, taking_down)
    disclosure.proven_from = max(disclosure.posted_from, posted_on or disclosure.posted_from)
    if disclosure.posted_until is None:
        disclosure.days_proven = None
        return
    last = min(disclosure.posted_until, taken_down_on or disclosure.posted_until)
    days = max(0, (last - disclosure.proven_from).days + 1)
    disclosure.days_proven = days if established is None else min(days, established)


def disclosure_photo_errors(
    stored: Disclosure | None, posted_until: datetime.date | None, posted: list, taken_down: list
) -> dict[str, list[str]]:
    """A new 公示 comes with a photo of it posted; the first time its last day is given, with a
    photo of the board after it was taken down; once taken down it stays so."""
    errors: dict[str, list[str]] = {}
    if stored is None and not posted:
        errors["photos"] = [
            _("attach a photo of the notice on the board, taken when it was posted")
        ]
    was_down = stored is not None and stored.posted_until is not None
    if posted_until is None and was_down:
        errors["posted_until"] = [
            _("this notice is recorded as taken down; to post it again, record a new notice")
        ]
    has_down_photo = (
        stored is not None and stored.evidence.filter(moment=Evidence.Moment.TAKEN_DOWN).exists()
    )
    if posted_until is not None and not was_down and not taken_down and not has_down_photo:
        errors["taken_down_photos"] = [
            _("attach a photo of the board after the notice was taken down")
        ]
    if taken_down and posted_until is None and not was_down:
        errors["posted_until"] = [_("give the last day posted with the photo of it taken down")]
    return errors


@transaction.atomic
def disclosure_record(
    *,
    village: Village,
    kind: str,
    title: str,
    posted_from: datetime.date,
    posted_until: datetime.date | None,
    user: User | None,
    photos: Iterable = (),
    taken_down_photos: Iterable = (),
    disclosure: Disclosure | None = None,
    version: str | None = None,
) -> Disclosure:
    """Record (or update) a 公示 and its photos (`photos`: of it posted; `taken_down_photos`:
    of the board after it was taken down); the days posted are counted here, both ends
    included, and the days its photos prove (`_judge_disclosure`). Changing the dates later is
    kept in the change history and never raises the days already judged. `version`: the
    `row_version` the edit form showed (None when not from a form, e.g. the admin, whose form
    checked it); if the row has been saved since, or the form sent none (""), nothing is
    written (ValidationError, code "stale" or "unversioned")."""
    uploads = _check_all(photos, IMAGES)
    down_uploads = _check_all(taken_down_photos, IMAGES)
    stored = None
    if disclosure is not None and disclosure.pk:
        # Lock the row, then compare: two saves of the same version cannot both pass.
        stored = Disclosure.objects.select_for_update().filter(pk=disclosure.pk).first()
        if version is not None:
            refuse_stale(disclosure, version)
    errors = disclosure_photo_errors(stored, posted_until, uploads, down_uploads)
    if posted_until is not None and posted_until < posted_from:
        errors["posted_until"] = [_("the last day posted is before the first day")]
    if errors:
        raise ValidationError(errors)
    disclosure = disclosure or Disclosure()
    disclosure.village = village
    disclosure.kind = kind
    disclosure.title = title
    disclosure.posted_from = posted_from
    disclosure.posted_until = posted_until
    disclosure.days_posted = (
        (posted_until - posted_from).days + 1 if posted_until is not None else None
    )
    disclosure.recorded_by = user if user is not None and user.pk else disclosure.recorded_by
    _judge_disclosure(
        disclosure,
        established=stored.days_proven if stored is not None else None,
        posting=bool(uploads),
        taking_down=bool(down_uploads),
    )
    disclosure.full_clean()
    disclosure.save()
    for moment, files in (
        (Evidence.Moment.POSTED, uploads),
        (Evidence.Moment.TAKEN_DOWN, down_uploads),
    ):
        for upload in files:
            assert user is not None  # photos always come with the signed-in user who posts them
            evidence_add(upload=upload, user=user, disclosure=disclosure, moment=moment)
    return disclosure


@transaction.atomic
def obligation_open_for_event(
    *,
    duty: Duty,
    event_on: datetime.date,
    department: Department | None = None,
    village: Village | None = None,
    description: str = "",
) -> Obligation:
    """Open the one obligation an event owes under an on-event duty (e.g. 5.3, 15.3): due the
    schedule's due day counted from the event's day (1 = that day; the event's day itself when
    none is set), for the unit the duty belongs to (its department, or a village for a
    village-level duty). The only place such obligations are opened; the caller has checked
    that the unit is in the user's reach.

    Refused with the field named (the portal form's names): a date after today or on which
    the duty was not scheduled on events (`event_on`), a unit the duty does not belong to
    (`unit`), and the same event (duty, unit, day) recorded before (code "duplicate")."""
    description = description.strip()
    schedule = _event_schedule(duty, event_on, department, village)
    unit = department or village
    duplicate = ValidationError(
        _("the event of %(duty)s on %(date)s is already recorded for %(unit)s")
        % {"duty": duty.label, "date": event_on.isoformat(), "unit": unit},
        code="duplicate",
    )
    # One obligation per duty, unit and first day (the model's unique constraints): checked
    # first for a clear message; a concurrent save of the same event fails on the constraint.
    same = Obligation.objects.filter(
        duty=duty, period_start=event_on, department=department, village=village
    )
    if same.exists():
        raise duplicate
    due = event_on + datetime.timedelta(days=(schedule.due_day or 1) - 1)
    obligation = Obligation(
        schedule=schedule,
        duty=duty,
        period_label=event_on.isoformat(),
        period_start=event_on,
        period_end=due,
        due=due,
        department=department,
        village=village,
        event_description=description,
    )
    obligation.full_clean()
    try:
        with transaction.atomic():
            obligation.save()
    except IntegrityError as exc:
        raise duplicate from exc
    return obligation


def _event_schedule(
    duty: Duty, event_on: datetime.date, department: Department | None, village: Village | None
) -> DutySchedule:
    """The on-event schedule of `duty` in force on the event's day, or a ValidationError naming
    the fields at fault (`event_on`, `unit`)."""
    errors: dict[str, list[str]] = {}
    schedule = None
    if event_on > timezone.localdate():
        errors["event_on"] = [
            _("the date of the event, %(date)s, is after today") % {"date": event_on.isoformat()}
        ]
    else:
        schedule = schedule_in_force(duty, event_on)
        if schedule is None or schedule.frequency != DutySchedule.Frequency.ON_EVENT:
            errors["event_on"] = [
                _("on %(date)s, %(duty)s was not scheduled on events")
                % {"date": event_on.isoformat(), "duty": duty.label}
            ]
    unit_error = _unit_error(duty, department, village)
    if unit_error:
        errors["unit"] = [unit_error]
    if errors or schedule is None:
        raise ValidationError(errors)
    return schedule


def _unit_error(duty: Duty, department: Department | None, village: Village | None) -> str:
    """Why the unit does not answer for `duty` ("" when it does)."""
    if duty.level == Duty.Level.TOWN:
        if village is not None or department is None or department.pk != duty.department_id:
            return _("%(duty)s belongs to %(department)s: choose it as the unit") % {
                "duty": duty.label,
                "department": duty.department,
            }
    elif duty.level == Duty.Level.VILLAGE:
        if village is None or department is not None:
            return _("%(duty)s is a village's duty: choose a village as the unit") % {
                "duty": duty.label
            }
    else:
        return _("%(duty)s is followed by other rules, not by events recorded here") % {
            "duty": duty.label
        }
    return ""
