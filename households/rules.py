"""The registry's rules: `member_change.report` and `pairing.assigned`.

Rule `member_change.report` (arts. 32, 37): a change of household members is reported within
N days of the day it happened (N = the parameter `member_change.report`/`days` in force on that
day, 30 by default; art. 44 lets it change without rewriting the past).

Semantics (pinned by tests):
- the clock starts on the day of the change: period = period_start = period_end = happened_on,
  due = happened_on + N; reported on the due day is in time, a day later is late;
- the report counts from the day it was entered (its server-set entry time), or from its typed
  date 报告日期 if that is later; a change reported before go-live (history) or entered before
  entry times were kept counts from its typed date (`xigang.entry.counts_on`): editing the
  typed date afterwards never clears a late item;
- an item is overdue as of `as_of` when the change was reported after its due day and the due
  day is before `as_of`; days_overdue = (that report day − due), counted up to `as_of` at most;
- from go-live, a list as of a day counts only the changes entered by then;
- a change that has not been reported is not in the register, so it cannot be listed: the
  portal only knows a change once somebody reports it;
- `since` keeps changes that happened on or after it;
- who answers: the village of the household and the pairing cadre paired with it on the day of
  the change (cadre null when nobody was); the rule names no department. That cadre sees the
  item after a handover; the successor does not (docs/design.md, attribution).

Rule `pairing.assigned` (art. 37): every household not closed has a pairing cadre every day. A
gap longer than N days (the parameter `pairing.assigned`/`days` in force on its first day, 7 by
default) is overdue. Semantics (pinned by tests/households/test_pairing_gaps.py):
- a gap is a run of days on which no pairing covers the household, from the day after a pairing
  ends (with no other pairing covering that day) to the day before the next pairing starts, or
  open when none starts later; the days before a household's first pairing are no gap (the
  registry holds no date from which it was owed one);
- due = the gap's first day + N: the last day a new pairing may start for the gap to last N days
  or less. The gap is overdue as of `as_of` when no pairing started by its due day and the due
  day is before `as_of`; days_overdue = (the next pairing's first day, or `as_of` if earlier,
  − due). period = period_start = the gap's first day; period_end = its last day known (the day
  before the next pairing, or before `as_of`);
- an open gap not yet overdue is pending (due soon) once it has begun;
- a closed (已销户) household owes no cadre after its last pairing, only between pairings;
- `since` keeps gaps beginning on or after it;
- who answers: 扶贫办 (department), shown to the household's village; no cadre answers, so the
  rule lists nothing to a pairing cadre, nor under a cadre filter.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from itertools import groupby

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import DateField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duties.organisation.params import InForce, in_force
from households.models import Household, MemberChange, Pairing
from xigang.entry import counts_on, entry_day, go_live, known_by, known_from
from xigang.obligations import (
    Filters,
    MetLater,
    OverdueItem,
    Rule,
    Tally,
    closed_late,
    register,
    tally,
)
from xigang.scope import attribution as scope_attribution

RULE = "member_change.report"


def _paired_cadre(field: str) -> Subquery:
    pairing = (
        Pairing.objects.filter(household_id=OuterRef("household_id"))
        .filter(start__lte=OuterRef("happened_on"))
        .filter(Q(end__isnull=True) | Q(end__gte=OuterRef("happened_on")))
        .order_by("-start")
        .values(field)[:1]
    )
    return Subquery(pairing)


def _attributed(user: User | AnonymousUser, changes: QuerySet) -> QuerySet:
    """The changes the user sees as items: those of the households in reach by village, and
    those attributed to the user's cadre (paired on the day of the change), whoever is paired
    today (`xigang.scope.attribution`)."""
    attribution = scope_attribution(user, changes)
    if attribution.cadre_id is None:
        return attribution.reach
    theirs = changes.filter(
        Exists(
            Pairing.objects.filter(
                household_id=OuterRef("household_id"),
                cadre_id=attribution.cadre_id,
                start__lte=OuterRef("happened_on"),
            ).filter(Q(end__isnull=True) | Q(end__gte=OuterRef("happened_on")))
        )
    )
    return attribution.reach | theirs


@register(order=30)
class MemberChangeReportRule(Rule):
    id = RULE
    label = gettext_lazy("Member change report")
    article = 32
    title = "a change of household members is reported in time"

    def _late(
        self,
        user: User | AnonymousUser,
        allowed: InForce,
        *,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> QuerySet:
        """The changes reported late that the list as of `as_of` shows, with the cadre paired
        on the day of each."""
        live_from = go_live()
        late = Q(pk__in=[])
        for span, days in allowed.spans("happened_on"):
            allowance = datetime.timedelta(days=days)
            late |= (
                span
                & Q(happened_on__lt=as_of - allowance)
                & (
                    Q(reported_on__gt=F("happened_on") + allowance)
                    | Q(reported_on__gte=live_from, entered_on__gt=F("happened_on") + allowance)
                )
            )
        changes = _attributed(
            user,
            MemberChange.objects.filter(happened_on__gte=since)
            .filter(known_by(as_of, dated="reported_on", entered="created_at"))
            .annotate(entered_on=TruncDate("created_at"))
            .filter(late),
        )
        if filters.village:
            changes = changes.filter(household__village__name=filters.village)
        changes = changes.annotate(
            cadre_username=_paired_cadre("cadre__user__username"),
            cadre_full_name=_paired_cadre("cadre__name"),
        )
        if filters.cadre:
            changes = changes.filter(cadre_username=filters.cadre)
        return changes

    def met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[MetLater]:
        """The listed changes entered after the day after their due day: the lists before
        that day did not show them (a report is known when entered). One query."""
        if filters.department:
            return []
        return self._entered_late(user, in_force(RULE, "days"), as_of, since, filters)

    def tallies_and_met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> tuple[list[Tally], list[MetLater]]:
        """Both with one read of the parameter."""
        if filters.department:
            return [], []
        allowed = in_force(RULE, "days")
        items = self._items(user, allowed, as_of=as_of, since=since, filters=filters)
        return tally(items), self._entered_late(user, allowed, as_of, since, filters)

    def _entered_late(
        self,
        user: User | AnonymousUser,
        allowed: InForce,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[MetLater]:
        changes = self._late(user, allowed, as_of=as_of, since=since, filters=filters)
        return closed_late(
            self.id,
            changes,
            clock="happened_on",
            closed=Value(None, DateField()),
            known=known_from(dated="reported_on", entered="created_at"),
            as_of=as_of,
            due_of=lambda day: day + datetime.timedelta(days=allowed.on(day)),
        )

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> Iterable[OverdueItem]:
        if filters.department:
            return []  # the rule charges villages and pairing cadres, no department
        # Queries: the parameter schedule (1), the user's scope (cached per user, ≤4), the
        # changes with household, village and the cadre paired on the day (1).
        return self._items(user, in_force(RULE, "days"), as_of=as_of, since=since, filters=filters)

    def _items(
        self,
        user: User | AnonymousUser,
        allowed: InForce,
        *,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[OverdueItem]:
        live_from = go_live()
        changes = self._late(user, allowed, as_of=as_of, since=since, filters=filters)
        changes = changes.select_related("household__village").order_by("happened_on", "pk")
        items = []
        for change in changes:
            days = allowed.on(change.happened_on)
            due = change.happened_on + datetime.timedelta(days=days)
            reported = counts_on(
                dated=change.reported_on, entered_at=change.created_at, live_from=live_from
            )
            items.append(
                OverdueItem(
                    rule=self.id,
                    article=self.article,
                    period=change.happened_on.isoformat(),
                    period_start=change.happened_on,
                    period_end=change.happened_on,
                    due=due,
                    days_overdue=(min(reported, as_of) - due).days,
                    household=change.household.number,
                    village=change.household.village.name,
                    cadre=change.cadre_username,
                    department=None,
                    subject=_("report the %(kind)s of %(name)s within %(days)d days")
                    % {"kind": change.kind, "name": change.name, "days": days},
                    cadre_name=change.cadre_full_name,
                    entered_at=change.created_at,
                    late_entry=(entry_day(change.created_at) or due) > due,
                )
            )
        return items


GAP_RULE = "pairing.assigned"
# The department that keeps the pairings (art. 7) and answers for a household left unpaired.
POVERTY_OFFICE = "扶贫办"
ONE_DAY = datetime.timedelta(days=1)


def pairing_gaps(
    spans: Iterable[tuple[datetime.date, datetime.date | None]], *, closed: bool
) -> Iterator[tuple[datetime.date, datetime.date | None]]:
    """The gaps (first day, day the next pairing starts or None) between a household's pairing
    spans (start, end or None), given in order of start; pure arithmetic, no query."""
    covered: datetime.date | None = None  # the last day covered so far
    for start, end in spans:
        if covered is not None and start > covered + ONE_DAY:
            yield covered + ONE_DAY, start
        if end is None:
            return  # paired for good: nothing later is uncovered
        covered = end if covered is None else max(covered, end)
    if covered is not None and not closed:
        yield covered + ONE_DAY, None


@register(order=35)
class PairingAssignedRule(Rule):
    id = GAP_RULE
    label = gettext_lazy("Pairing cadre assigned")
    article = 37
    title = "every household not closed has a pairing cadre every day"

    def _gaps(
        self,
        user: User | AnonymousUser,
        *,
        since: datetime.date,
        before: datetime.date,
        filters: Filters,
    ) -> Iterator[tuple[tuple[str, str], datetime.date, datetime.date | None]]:
        """((household number, village), first day, next start) of the gaps beginning between
        `since` and `before` (excluded) in the user's village reach. Two queries at most after
        the scope: the households with a pairing ending in that span, and their pairings."""
        if filters.cadre or filters.department not in (None, POVERTY_OFFICE):
            return
        households = scope_attribution(user, Household.objects.all(), routed=False).reach
        if filters.village:
            households = households.filter(village__name=filters.village)
        ending = Pairing.objects.filter(end__gte=since - ONE_DAY, end__lt=before - ONE_DAY)
        rows = (
            Pairing.objects.filter(
                household__in=households.filter(pk__in=ending.values("household_id"))
            )
            .order_by("household_id", "start")
            .values_list(
                "household_id",
                "household__number",
                "household__village__name",
                "household__status",
                "start",
                "end",
            )
        )
        for _id, group in groupby(rows.iterator(chunk_size=2000), key=lambda row: row[0]):
            spans = list(group)
            closed = spans[0][3] == Household.Status.CLOSED
            for first, next_start in pairing_gaps(((s[4], s[5]) for s in spans), closed=closed):
                if since <= first < before:
                    yield (spans[0][1], spans[0][2]), first, next_start

    def _item(
        self,
        household: tuple[str, str],
        first: datetime.date,
        next_start: datetime.date | None,
        *,
        as_of: datetime.date,
        days: int,
        pending: bool,
    ) -> OverdueItem:
        due = first + datetime.timedelta(days=days)
        known_until = as_of if next_start is None else min(next_start, as_of)
        return OverdueItem(
            rule=self.id,
            article=self.article,
            period=first.isoformat(),
            period_start=first,
            period_end=max(first, known_until - ONE_DAY),
            due=due,
            days_overdue=0 if pending else (known_until - due).days,
            household=household[0],
            village=household[1],
            cadre=None,
            department=POVERTY_OFFICE,
            subject=_(
                "pair the household with a cadre: none since %(first)s (%(days)d days allowed)"
            )
            % {"first": first.isoformat(), "days": days},
        )

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[OverdueItem]:
        allowed: InForce = in_force(GAP_RULE, "days")
        items = []
        for household, first, next_start in self._gaps(
            user, since=since, before=as_of, filters=filters
        ):
            days = allowed.on(first)
            due = first + datetime.timedelta(days=days)
            if due < as_of and (next_start is None or next_start > due):
                items.append(
                    self._item(household, first, next_start, as_of=as_of, days=days, pending=False)
                )
        return items

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> list[OverdueItem]:
        """Gaps begun by `as_of`, still open on it, not yet overdue."""
        allowed: InForce = in_force(GAP_RULE, "days")
        since = as_of - datetime.timedelta(days=max(days for _day, days in allowed.steps) + 1)
        items = []
        for household, first, next_start in self._gaps(
            user, since=since, before=as_of + ONE_DAY, filters=filters
        ):
            days = allowed.on(first)
            due = first + datetime.timedelta(days=days)
            if due >= as_of and (next_start is None or next_start > as_of):
                items.append(
                    self._item(household, first, next_start, as_of=as_of, days=days, pending=True)
                )
        return items


# The rules of 两不愁三保障 (art. 38) live with the assessments; imported here to register them.
# 一户一策 (art. 34): registered from their own module.
from households import plan_rules  # noqa: E402, F401
from households.assessments import rules as _assessment_rules  # noqa: E402, F401
