"""Reads of the pairing cadre's screens: their households today, each with what it owes and why,
worst first."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Cadre
from households.models import Household
from visits.models import Visit
from visits.rules import PairingRule
from xigang import obligations
from xigang.obligations import OverdueItem
from xigang.overdue_query import default_since
from xigang.scope import visible


def paired_households(user: User | AnonymousUser, cadre: Cadre | None) -> QuerySet[Household]:
    """The households this cadre is paired with today, within the user's scope."""
    if cadre is None:
        return Household.objects.none()
    today = timezone.localdate()
    active = Q(pairings__cadre=cadre, pairings__start__lte=today) & (
        Q(pairings__end__isnull=True) | Q(pairings__end__gte=today)
    )
    return visible(user, Household.objects.filter(active).distinct())


SHOWN_OVERDUE = 2  # per household on the home screen; the rest behind a tap


@dataclass
class Reason:
    """One thing a household owes, as the cadre reads it: "2026-10：当月没有电话联系…"."""

    item: OverdueItem
    overdue: bool
    text: str


@dataclass
class HouseholdLine:
    number: str
    village: str
    # With last_home and last_phone; None once the cadre is no longer paired with it: the line
    # then holds only the periods that ended while they were (attributed to them).
    household: Household | None = None
    reasons: list[Reason] = field(default_factory=list)
    kind_owed: str | None = None  # the visit kind that meets what the current period owes
    entry_url: str = ""  # the quick entry, the kind owed preselected (set by the view)

    @property
    def kind_owed_label(self) -> str:
        return str(Visit.Kind(self.kind_owed).label) if self.kind_owed else ""

    @property
    def overdue(self) -> list[Reason]:
        """The latest first: the ones a late entry (补录) may still put right."""
        return sorted(
            (r for r in self.reasons if r.overdue), key=lambda r: r.item.due, reverse=True
        )

    @property
    def overdue_shown(self) -> list[Reason]:
        return self.overdue[:SHOWN_OVERDUE]

    @property
    def overdue_more(self) -> list[Reason]:
        return self.overdue[SHOWN_OVERDUE:]

    @property
    def pending(self) -> list[Reason]:
        return [r for r in self.reasons if not r.overdue]

    def sort_key(self) -> tuple:
        """Overdue first (the longest late, then the most items), then due soon (the earliest
        due), then the rest, each by village and number."""
        late = [r.item.days_overdue for r in self.overdue]
        due = [r.item.due for r in self.pending]
        return (
            -max(late, default=-1),
            -len(late),
            min(due, default=datetime.date.max),
            self.household is None,
            self.village,
            self.number,
        )


def _reason(item: OverdueItem, rule: obligations.Rule | None, *, overdue: bool) -> Reason:
    if isinstance(rule, PairingRule):
        why = rule.why(pending=not overdue)
    else:
        why = item.subject
    if overdue:
        text = _("%(period)s: %(why)s") % {"period": item.period, "why": why}
    else:
        text = _("%(period)s: %(why)s (due %(due)s)") % {
            "period": item.period,
            "why": why,
            "due": item.due.isoformat(),
        }
    return Reason(item=item, overdue=overdue, text=text)


def cadre_households(
    *, user: User | AnonymousUser, cadre: Cadre | None, as_of: datetime.date
) -> list[HouseholdLine]:
    """The cadre's households today, each with its overdue and due-soon items and the reason
    of each, worst first; then the households they were paired with whose periods ended under
    them (attributed to them, docs/design.md). Items attributed to another cadre are not theirs
    to answer for and are left out. Queries: one for the households (with their last home visit
    and phone call), then the engine's fixed set for the overdue and the pending lists."""
    if cadre is None:
        return []
    username = getattr(user, "username", "")
    households = list(
        paired_households(user, cadre)
        .select_related("village")
        .annotate(
            last_home=Max("visits__on", filter=Q(visits__kind=Visit.Kind.HOME)),
            last_phone=Max("visits__on", filter=Q(visits__kind=Visit.Kind.PHONE)),
        )
    )
    lines = {
        h.number: HouseholdLine(number=h.number, village=h.village.name, household=h)
        for h in households
    }
    rules = {rule.id: rule for rule in obligations.rules()}
    overdue = obligations.overdue_items(user=user, as_of=as_of, since=default_since(as_of))
    pending = obligations.pending_items(user=user, as_of=as_of)
    for items, is_overdue in ((overdue, True), (pending, False)):
        for item in items:
            if item.household is None or item.cadre not in (username, None):
                continue  # a unit's item, or another cadre's period
            line = lines.get(item.household)
            if line is None:
                if item.cadre is None:  # a problem of a household no longer theirs
                    continue
                line = lines[item.household] = HouseholdLine(
                    number=item.household, village=item.village or ""
                )
            rule = rules.get(item.rule)
            line.reasons.append(_reason(item, rule, overdue=is_overdue))
            if not is_overdue and isinstance(rule, PairingRule):
                # A home visit meets the month too: it wins over a phone call.
                if line.kind_owed != Visit.Kind.HOME:
                    line.kind_owed = rule.kind_owed
    return sorted(lines.values(), key=HouseholdLine.sort_key)


HISTORY_LIMIT = 100


def household_visits(*, user: User | AnonymousUser, household: Household) -> QuerySet[Visit]:
    """The household's visits and calls in scope, latest first, with who made them."""
    return visible(
        user, Visit.objects.filter(household=household).select_related("cadre", "entered_by")
    ).order_by("-on", "-created_at")
