"""Writes of what pairing cadres do: visits, problems routed to departments, 救急难 cases.

Every function is keyword-only, validates (`full_clean`) and saves inside a transaction; views,
admin, ledgers, the demo and commands all call these.
"""

from __future__ import annotations

import datetime
import decimal
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Cadre
from duties.organisation.params import InForce, in_force
from households.checks import pairing_spans
from households.models import Household, Pairing
from visits.checks import closed_month_error, content_error, future_date_error, unpaired_error
from visits.models import EmergencyCase, Problem, ProblemCategory, Visit
from xigang import scope
from xigang.entry import go_live
from xigang.obligations import state_refresh
from xigang.periods import MONTHLY, period_of


def paired_cadre_on(household: Household, day: datetime.date) -> Cadre | None:
    """The cadre paired with the household on `day` (the latest started, if pairings overlap)."""
    pairing = (
        Pairing.objects.filter(household=household, start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gte=day))
        .select_related("cadre")
        .order_by("-start", "-id")
        .first()
    )
    return pairing.cadre if pairing else None


def _not_in_future(day: datetime.date, field: str) -> None:
    error = future_date_error(day=day, today=timezone.localdate())
    if error:
        raise ValidationError({field: error})


def visit_check(*, household: Household, cadre: Cadre, on: datetime.date) -> None:
    """A visit is dated today or earlier and made by a cadre paired with the household that day
    (a visit by anyone else would not count for art. 39)."""
    _not_in_future(on, "on")
    error = unpaired_error(
        cadre_id=cadre.pk,
        cadre_name=cadre.name,
        household_number=household.number,
        on=on,
        pairings=pairing_spans(household_ids=[household.pk]).get(household.pk, {}).values(),
    )
    if error:
        raise ValidationError({"cadre": error})


@dataclass(frozen=True)
class EntryTerms:
    """When a visit is a 补录 and when its month closes: the dated parameters, read once
    (two queries) for a form or a whole ledger file."""

    late_days: InForce
    close_days: InForce

    @classmethod
    def read(cls) -> EntryTerms:
        return cls(in_force("pairing.late_entry", "days"), in_force("pairing.period_close", "days"))

    def late_entry(self, on: datetime.date, entered: datetime.date) -> bool:
        """Entered more than the days in force on its date after it: a 补录."""
        return (entered - on).days > self.late_days.on(on)

    def closes_on(self, on: datetime.date) -> datetime.date:
        """The last day a pairing cadre may enter a visit dated `on` alone: its month's end
        plus the close days in force then (every visit counts for its month)."""
        month_end = period_of(MONTHLY, on).end
        return month_end + datetime.timedelta(days=self.close_days.on(month_end))


def may_accept_late(user: User | AnonymousUser | None) -> bool:
    return user is not None and user.has_perm("visits.accept_late_visit")


def visit_entry_check(
    *,
    on: datetime.date,
    content: str,
    entered_by: User | AnonymousUser | None,
    late_reason: str = "",
    terms: EntryTerms | None = None,
) -> bool:
    """What a new visit says, and whether its month is still open to its author (see
    `visits.checks`); returns whether it is a 补录. A visit dated before go-live is history
    (`xigang.entry`): neither late nor closed to anyone."""
    error = content_error(content)
    if error:
        raise ValidationError({"content": error})
    if on < go_live():
        return False
    terms = terms or EntryTerms.read()
    today = timezone.localdate()
    closed = closed_month_error(
        on=on,
        closes_on=terms.closes_on(on),
        today=today,
        may_accept=may_accept_late(entered_by),
        reason=late_reason,
    )
    if closed:
        raise ValidationError({closed[0]: closed[1]})
    return terms.late_entry(on, today)


@transaction.atomic
def visit_record(
    *,
    household: Household,
    cadre: Cadre,
    kind: str,
    on: datetime.date,
    content: str,
    problems_found: str = "",
    entered_by: User | None = None,
    late_reason: str = "",
    reports_change: bool = False,
) -> Visit:
    """Record a home visit or phone call (see `visit_check` and `visit_entry_check`); the time
    of entry, who entered it and whether it is a 补录 are set here, never by the caller."""
    visit_check(household=household, cadre=cadre, on=on)
    late = visit_entry_check(on=on, content=content, entered_by=entered_by, late_reason=late_reason)
    visit = Visit(
        household=household,
        cadre=cadre,
        kind=kind,
        on=on,
        content=content.strip(),
        problems_found=problems_found.strip(),
        reports_change=reports_change,
        entered_by=entered_by if entered_by and entered_by.pk else None,
        late_entry=late,
        late_reason=late_reason.strip() if late else "",
    )
    visit.full_clean()
    visit.save()
    state_refresh(households=[household.pk])
    return visit


@transaction.atomic
def visit_update(*, visit: Visit, content: str, problems_found: str) -> Visit:
    """Correct what a visit says; who, when and the time of entry are kept as first entered."""
    error = content_error(content)
    if error:
        raise ValidationError({"content": error})
    visit.content = content.strip()
    visit.problems_found = problems_found.strip()
    visit.full_clean()
    visit.save(update_fields=["content", "problems_found"])
    return visit


def problem_due(found_on: datetime.date) -> datetime.date:
    """The due date of a problem found on `found_on`: the days in force on that day (art. 44)."""
    return found_on + datetime.timedelta(days=in_force("problem.resolve", "days").on(found_on))


@transaction.atomic
def problem_report(
    *,
    household: Household,
    category: ProblemCategory,
    description: str,
    found_on: datetime.date,
    visit: Visit | None = None,
    reported_by: Cadre | None = None,
    entered_by: User | None = None,
) -> Problem:
    """Route a problem to the department its category names, due after the days in force."""
    _not_in_future(found_on, "found_on")
    if visit is not None and visit.household_id != household.pk:
        raise ValidationError({"visit": _("the visit is of another household")})
    problem = Problem(
        household=household,
        category=category,
        department_id=category.department_id,
        description=description.strip(),
        found_on=found_on,
        due=problem_due(found_on),
        visit=visit,
        reported_by=reported_by,
        entered_by=entered_by if entered_by and entered_by.pk else None,
    )
    problem.full_clean()
    problem.save()
    return problem


def can_resolve(user: User | AnonymousUser, problem: Problem) -> bool:
    """Staff of the department it was routed to, and the whole-town roles holding the right."""
    if not user.has_perm("visits.change_problem"):
        return False
    reach = scope.scope_of(user)
    return reach.whole_town or problem.department_id in reach.department_ids


@transaction.atomic
def problem_resolve(
    *, problem: Problem, resolution: str, resolved_on: datetime.date, user: User
) -> Problem:
    """The department records what it did and closes the problem."""
    if not can_resolve(user, problem):
        raise PermissionDenied(_("you may not resolve problems routed to another department"))
    _not_in_future(resolved_on, "resolved_on")
    if not resolution.strip():
        raise ValidationError({"resolution": _("say what was done")})
    if resolved_on < problem.found_on:
        raise ValidationError(
            {"resolved_on": _("a problem cannot be resolved before it was found")}
        )
    problem.resolution = resolution.strip()
    problem.resolved_on = resolved_on
    problem.resolved_by = user if user.pk else None
    # The first entry of the resolution stands: correcting it later never makes it earlier.
    problem.resolved_at = problem.resolved_at or timezone.now()
    problem.full_clean()
    problem.save()
    return problem


def emergency_due(occurred_on: datetime.date) -> datetime.date:
    """The day a 救急难 case's ledger entry and aid are due: the event's day plus the days in
    force on it (art. 40)."""
    return occurred_on + datetime.timedelta(days=in_force("emergency.aid", "days").on(occurred_on))


@transaction.atomic
def emergency_report(
    *,
    household: Household,
    cause: str,
    expense: decimal.Decimal,
    occurred_on: datetime.date,
    reported_on: datetime.date,
    description: str = "",
    cadre: Cadre | None = None,
    entered_by: User | None = None,
) -> EmergencyCase:
    """Enter a 救急难 case (art. 40) in the ledger; the pairing cadre defaults to the one paired
    on the day of the event. Entered after the aid fell due (the event's day plus the days in
    force), it is marked a late entry."""
    _not_in_future(occurred_on, "occurred_on")
    _not_in_future(reported_on, "reported_on")
    if reported_on < occurred_on:
        raise ValidationError(
            {"reported_on": _("a case cannot be reported before the event happened")}
        )
    case = EmergencyCase(
        household=household,
        cadre=cadre or paired_cadre_on(household, occurred_on),
        cause=cause,
        expense=expense,
        occurred_on=occurred_on,
        reported_on=reported_on,
        description=description.strip(),
        entered_by=entered_by if entered_by and entered_by.pk else None,
        late_entry=occurred_on >= go_live() and timezone.localdate() > emergency_due(occurred_on),
    )
    case.full_clean()
    case.save()
    return case


@transaction.atomic
def emergency_aid(
    *, case: EmergencyCase, aided_on: datetime.date, aid_amount: decimal.Decimal, user: User
) -> EmergencyCase:
    """Record the aid given (民政科 or the whole-town roles)."""
    if not user.has_perm("visits.change_emergencycase") or not scope.can_see(user, case):
        raise PermissionDenied(_("you may not record aid for this case"))
    _not_in_future(aided_on, "aided_on")
    if aided_on < case.reported_on:
        raise ValidationError({"aided_on": _("aid cannot be given before the case was reported")})
    if aid_amount <= 0:
        raise ValidationError({"aid_amount": _("the aid must be more than zero")})
    case.aided_on = aided_on
    case.aid_amount = aid_amount
    if case.aided_at is None:  # the first entry of the aid stands, like a resolution's
        case.aided_at = timezone.now()
        case.aided_by = user if user.pk else None
    case.full_clean()
    case.save()
    return case
