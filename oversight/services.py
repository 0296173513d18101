"""Writes on oversight records: every one validated in full before it is saved, the entry time
and author set here. The portal, the admin and the commands call these."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Article, Cadre, Department, Duty, Obligation, Village
from duties.schedules.evidence import check_upload
from duties.schedules.services import obligation_open_for_event
from oversight.checks import ORGANISATION, decision_errors, ladder_error, report_error
from oversight.models import (
    Accountability,
    Commendation,
    Finding,
    FindingExtension,
    FirstSecretary,
    FirstSecretaryCheck,
    Inspection,
    Signal,
)

# The duty whose obligation a recorded accountability decision opens: 组织科's 通报 (art. 5).
CIRCULAR_DUTY = (5, 3)


# --- findings ---------------------------------------------------------------------------------


@transaction.atomic
def finding_record(
    *,
    inspection: Inspection,
    article: Article,
    description: str,
    found_on: datetime.date,
    deadline: datetime.date,
    user: User,
    department: Department | None = None,
    village: Village | None = None,
    cadre: Cadre | None = None,
    evidence: list[dict[str, Any]] | None = None,
) -> Finding:
    if deadline < found_on:
        raise ValidationError(
            {
                "deadline": [
                    _("the deadline, %(date)s, is before the day found")
                    % {"date": deadline.isoformat()}
                ]
            }
        )
    finding = Finding(
        inspection=inspection,
        article=article,
        description=description.strip(),
        found_on=found_on,
        deadline=deadline,
        department=department,
        village=village,
        cadre=cadre,
        evidence=list(evidence or []),
        created_by=user,
    )
    finding.full_clean()
    finding.save()
    return finding


@transaction.atomic
def finding_report(
    *, finding: Finding, rectification: str, report_file: Any | None, user: User
) -> Finding:
    """The unit or person found reports the rectification: the report and its evidence file
    (an earlier file stays when none is sent again)."""
    if finding.rectified_on:
        raise ValidationError(_("this finding is closed: its report cannot change"))
    has_file = bool(report_file) or bool(finding.report_file)
    error = report_error(rectification=rectification, has_file=has_file)
    if error:
        raise ValidationError(
            {"report_file" if rectification.strip() else "rectification": [error]}
        )
    if report_file:
        check_upload(report_file)
        finding.report_file = report_file
    finding.rectification = rectification.strip()
    finding.reported_at = timezone.now()
    finding.reported_by = user
    finding.full_clean()
    finding.save()
    return finding


@transaction.atomic
def finding_extend(
    *, finding: Finding, deadline: datetime.date, reason: str, user: User
) -> FindingExtension:
    """Move a finding's deadline later, for a reason (kept with the old deadline)."""
    errors: dict[str, list[str]] = {}
    if finding.rectified_on:
        errors["deadline"] = [_("this finding is closed: its deadline cannot change")]
    elif deadline <= finding.deadline:
        errors["deadline"] = [
            _("the new deadline must be after the current one, %(date)s")
            % {"date": finding.deadline.isoformat()}
        ]
    if not reason.strip():
        errors["reason"] = [_("say why the deadline is extended")]
    if errors:
        raise ValidationError(errors)
    extension = FindingExtension(
        finding=finding,
        previous_deadline=finding.deadline,
        deadline=deadline,
        reason=reason.strip(),
        created_by=user,
    )
    extension.full_clean()
    extension.save()
    finding.deadline = deadline
    finding.full_clean()
    finding.save(update_fields=["deadline"])
    return extension


@transaction.atomic
def finding_rectify(
    *, finding: Finding, rectified_on: datetime.date, user: User | None = None
) -> Finding:
    """整改销号: the inspecting unit verified the reported rectification and closes the
    finding (arts. 41, 43). Refused without a report and its evidence."""
    error = report_error(rectification=finding.rectification, has_file=bool(finding.report_file))
    if error or finding.reported_at is None:
        raise ValidationError(
            _("a finding is closed only after its rectification is reported: %(why)s")
            % {"why": error or _("no report has been entered")}
        )
    if rectified_on > timezone.localdate():
        raise ValidationError({"rectified_on": [_("the day closed is after today")]})
    finding.rectified_on = rectified_on
    stamp_rectification(finding, user)
    finding.full_clean()
    finding.save(update_fields=["rectified_on", "rectified_at", "rectified_by"])
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


# --- signals ----------------------------------------------------------------------------------


def _handled(signal: Signal) -> None:
    if signal.status != Signal.Status.OPEN:
        raise ValidationError(_("this signal has already been handled"))


@transaction.atomic
def signal_dismiss(*, signal: Signal, reason: str, user: User) -> Signal:
    _handled(signal)
    if not reason.strip():
        raise ValidationError({"reason": [_("say why the signal is dismissed")]})
    signal.status = Signal.Status.DISMISSED
    signal.reason = reason.strip()
    signal.handled_at = timezone.now()
    signal.handled_by = user
    signal.full_clean()
    signal.save()
    return signal


@transaction.atomic
def signal_open_finding(
    *,
    signal: Signal,
    inspection: Inspection,
    article: Article,
    description: str,
    deadline: datetime.date,
    user: User,
) -> Finding:
    """Open a finding about the signal's person; the finding keeps the signal's evidence."""
    _handled(signal)
    finding = finding_record(
        inspection=inspection,
        article=article,
        description=description,
        found_on=timezone.localdate(),
        deadline=deadline,
        user=user,
        cadre=signal.cadre,
        evidence=[{"signal": signal.pk, "kind": signal.kind, "items": signal.evidence}],
    )
    signal.status = Signal.Status.FINDING
    signal.finding = finding
    signal.handled_at = timezone.now()
    signal.handled_by = user
    signal.save()
    return finding


# --- accountability (art. 43) -----------------------------------------------------------------


@transaction.atomic
def accountability_record(
    *,
    measure: str,
    severity: str,
    decided_on: datetime.date,
    reason: str,
    user: User,
    finding: Finding | None = None,
    department: Department | None = None,
    village: Village | None = None,
    cadre: Cadre | None = None,
    referred_on: datetime.date | None = None,
    referral: str = "",
) -> Accountability:
    """Hold a unit or person to account under art. 43's ladder. A decision that follows a
    finding (an inspection found the case) is 从重: the step's heavier measure. Recording one
    opens 组织科's 5.3 通报 obligation (one per day: decisions of the same day share it)."""
    if finding is not None and not (department or village or cadre):
        department, village, cadre = finding.department, finding.village, finding.cadre
    aggravated = finding is not None
    errors = decision_errors(decided_on=decided_on, referred_on=referred_on, referral=referral)
    error = ladder_error(severity=severity, measure=measure, aggravated=aggravated)
    if error:
        errors["measure"] = [error]
    if errors:
        raise ValidationError(errors)
    decision = Accountability(
        measure=measure,
        severity=severity,
        aggravated=aggravated,
        decided_on=decided_on,
        reason=reason.strip(),
        finding=finding,
        department=department,
        village=village,
        cadre=cadre,
        referred_on=referred_on,
        referral=referral.strip(),
        created_by=user,
    )
    decision.full_clean()
    decision.obligation = _circular_obligation(decision)
    decision.save()
    return decision


@transaction.atomic
def accountability_update(
    *, decision: Accountability, reason: str, referred_on: datetime.date | None, referral: str
) -> Accountability:
    """Correct what a decision's form lets change after it is recorded: the reason and the
    discipline referral (the measure, its ladder and the subject stand)."""
    errors = decision_errors(
        decided_on=decision.decided_on, referred_on=referred_on, referral=referral
    )
    if errors:
        raise ValidationError(errors)
    decision.reason = reason.strip()
    decision.referred_on = referred_on
    decision.referral = referral.strip()
    decision.full_clean()
    decision.save(update_fields=["reason", "referred_on", "referral"])
    return decision


@transaction.atomic
def commendation_record(
    *,
    reason: str,
    awarded_on: datetime.date,
    department: Department | None = None,
    village: Village | None = None,
    cadre: Cadre | None = None,
) -> Commendation:
    """Propose a commendation (art. 42) of one unit or person; pending until a leader approves
    it (`commendation_approve`)."""
    if awarded_on > timezone.localdate():
        raise ValidationError({"awarded_on": _("the day awarded is after today")})
    commendation = Commendation(
        reason=reason.strip(),
        awarded_on=awarded_on,
        department=department,
        village=village,
        cadre=cadre,
    )
    commendation.full_clean()
    commendation.save()
    return commendation


def _circular_obligation(decision: Accountability) -> Obligation:
    duty = Duty.objects.get(article_id=CIRCULAR_DUTY[0], clause=CIRCULAR_DUTY[1])
    unit = Department.objects.get(name=ORGANISATION)
    try:
        return obligation_open_for_event(
            duty=duty,
            event_on=decision.decided_on,
            department=unit,
            description=_("%(measure)s: %(subject)s")
            % {"measure": decision.measure, "subject": decision.subject},
        )
    except ValidationError as exc:
        if any(e.code == "duplicate" for e in exc.error_list):
            return Obligation.objects.get(
                duty=duty, period_start=decision.decided_on, department=unit, village=None
            )
        raise


# --- the 第一书记 register (art. 5) -----------------------------------------------------------


@transaction.atomic
def first_secretary_save(
    *,
    cadre: Cadre,
    village: Village,
    sending_unit: str,
    started_on: datetime.date,
    user: User,
    ended_on: datetime.date | None = None,
    first_secretary: FirstSecretary | None = None,
) -> FirstSecretary:
    row = first_secretary or FirstSecretary(
        department=Department.objects.get(name=ORGANISATION), created_by=user
    )
    row.cadre, row.village, row.sending_unit = cadre, village, sending_unit.strip()
    row.started_on, row.ended_on = started_on, ended_on
    if ended_on is not None and ended_on < started_on:
        raise ValidationError({"ended_on": [_("the last day is before the first day")]})
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def first_secretary_check_record(
    *, first_secretary: FirstSecretary, kind: str, on: datetime.date, result: str, user: User
) -> FirstSecretaryCheck:
    """组织科's 定期调度 or 随机抽查 of a 第一书记, on a day they served."""
    errors: dict[str, list[str]] = {}
    if on > timezone.localdate():
        errors["on"] = [_("the date is after today")]
    elif on < first_secretary.started_on or (
        first_secretary.ended_on is not None and on > first_secretary.ended_on
    ):
        errors["on"] = [
            _("%(name)s did not serve as first secretary on %(date)s")
            % {"name": first_secretary.cadre.name, "date": on.isoformat()}
        ]
    if errors:
        raise ValidationError(errors)
    check = FirstSecretaryCheck(
        first_secretary=first_secretary, kind=kind, on=on, result=result.strip(), created_by=user
    )
    check.full_clean()
    check.save()
    return check
