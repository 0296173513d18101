"""The 一户一策 rules (art. 34): `plan.exists`, `plan.review`, `measure.deliver`.

Rule `plan.exists`: every household not closed has an approved plan (镇审批, the last step of
art. 34's procedure) within N days of its first pairing (the day it was taken in hand; the
registry keeps no earlier date): N = `plan.exists`/`days` in force on that day, 60 by default.
- period = period_start = the first pairing's first day, or go-live if later (plans drawn up
  before go-live were kept on paper: the portal cannot ask for them), due = it + N; the plan counts from the day it was approved (server-set, never typed);
- overdue as of `as_of` when no plan was approved by then and the due day is before `as_of`;
  days_overdue = as_of − due; pending (due soon) from the clock's start until the due day,
  within `plan.exists`/`due_soon_days` of it;
- who answers: the household's village and the cadre paired with it on the due day (that cadre
  keeps the item after a handover, docs/design.md); no department.

Rule `plan.review` (动态调整): a household whose plan was approved in an earlier year has it
reviewed each year: a 动态调整 step dated in the year (counted from its entry time from go-live,
`xigang.entry.counts_on`), or a new plan for the year approved, by the year's first day + N days
(`plan.review`/`days`, 90 by default: the end of March). Overdue, pending and who answers as for
`plan.exists`; period = the year.

Rule `measure.deliver`: a measure not carried out by its due day (carried out = marked with
evidence; from go-live counted from the day it was marked) is overdue for its department; the
village sees it too, no cadre answers. Pending within `measure.deliver`/`due_soon_days`.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, Expression, OuterRef, Q, QuerySet, Value
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duties.organisation.params import InForce, due_soon_until, in_force
from households.models import HelpMeasure, HelpPlan, Household, Pairing, PlanStep
from xigang import memo
from xigang.entry import counts_from, counts_on, done_by, go_live
from xigang.obligations import (
    REGULATION_START,
    Filters,
    MetLater,
    OverdueItem,
    RoutedRecordRule,
    Rule,
    Tally,
    met_later_of,
    register,
    tally,
    was_overdue_until,
)
from xigang.scope import attribution as scope_attribution
from xigang.scope import visible

PLAN_EXISTS = "plan.exists"
PLAN_REVIEW = "plan.review"
MEASURE_DELIVER = "measure.deliver"
# No household; unlike `pk__in=[]` the queries still run, so their count is the same every day.
NOWHERE = Q(Value(False))


@dataclass(frozen=True, slots=True)
class Owed:
    """One plan obligation of a household: its clock, due day, and the day it was met."""

    number: str
    village: str
    period: str
    start: datetime.date
    due: datetime.date
    met_on: datetime.date | None
    cadre: tuple[str, str] | None  # (username, name) paired on the due day


@dataclass
class _Household:
    number: str
    village: str
    spans: list[tuple[datetime.date, datetime.date | None, tuple[str, str]]]
    approved: list[tuple[int, datetime.date]]  # (plan year, approved on)
    reviews: list[datetime.date]  # the days the 动态调整 steps count from

    def cadre_on(self, day: datetime.date) -> tuple[str, str] | None:
        for start, end, cadre in reversed(self.spans):
            if start <= day and (end is None or end >= day):
                return cadre
        return None


def _households(
    user: User | AnonymousUser, filters: Filters, candidates: Q, *, reviews: bool
) -> tuple[dict[int, _Household], set[int] | None, str | None]:
    """The paired households not closed among `candidates` that the user may see items of,
    with their pairings, approvals and (with `reviews`) reviews (three or four queries after
    the scope); the ids in reach by unit (None: all), the others seen only for the items
    attributed to the user's cadre, whose user name is last."""
    if filters.department:
        return {}, set(), None  # a village and a cadre answer, no department
    households = Household.objects.exclude(status=Household.Status.CLOSED)
    if filters.village:
        households = households.filter(village__name=filters.village)
    found = scope_attribution(user, households, routed=False)
    chosen = found.reach
    if found.cadre_id is not None:
        chosen = chosen | households.filter(pairings__cadre_id=found.cadre_id)
    # The scope's ids first, so that the candidates are tested on the user's households only.
    chosen = Household.objects.filter(pk__in=chosen.values("pk")).filter(candidates)
    # The reach is the same for both plan rules' overdue and pending lists: read once a page.
    reach = None if found.whole_town else set(memo.rows(found.reach.values_list("id", flat=True)))
    username = user.get_username() if found.cadre_id is not None else None
    by_id: dict[int, _Household] = {}
    pairings = Pairing.objects.filter(household__in=chosen.values("id")).order_by(
        "household_id", "start"
    )
    for pk, number, village, start, end, paired, name in pairings.values_list(
        "household_id",
        "household__number",
        "household__village__name",
        "start",
        "end",
        "cadre__user__username",
        "cadre__name",
    ):
        row = by_id.get(pk) or by_id.setdefault(pk, _Household(number, village, [], [], []))
        row.spans.append((start, end, (paired, name)))
    plans = HelpPlan.objects.filter(household_id__in=chosen.values("id"), approved_on__isnull=False)
    for pk, year, approved_on in plans.values_list("household_id", "year", "approved_on"):
        if pk in by_id and approved_on is not None:
            by_id[pk].approved.append((year, approved_on))
    if not reviews:
        return by_id, reach, username
    live_from = go_live()
    steps = PlanStep.objects.filter(
        plan__household_id__in=chosen.values("id"), step=PlanStep.Step.REVIEW
    )
    for pk, done_on, entered_at in steps.values_list("plan__household_id", "done_on", "entered_at"):
        if pk in by_id:
            by_id[pk].reviews.append(
                counts_on(dated=done_on, entered_at=entered_at, live_from=live_from)
            )
    return by_id, reach, username


class _PlanRule(Rule):
    """What the two plan rules share: the households, who answers, the items."""

    def candidates(self, allowed: InForce, as_of: datetime.date, since: datetime.date | None) -> Q:
        """SQL on the households: a superset of those with an obligation listed as of `as_of`
        (overdue from `since`, or pending when it is None) or met late; `owed` decides."""
        raise NotImplementedError

    def owed(
        self, households: dict[int, _Household], as_of: datetime.date, allowed: InForce
    ) -> Iterator[tuple[int, Owed]]:
        raise NotImplementedError

    def subject(self, owed: Owed) -> str:
        raise NotImplementedError

    def _seen(
        self,
        user: User | AnonymousUser,
        filters: Filters,
        as_of: datetime.date,
        since: datetime.date | None,
    ) -> Iterator[Owed]:
        """The obligations the user sees, met or not, of the candidate households (overdue
        from `since`, or pending when it is None): by unit reach, or attributed to the user's
        cadre (paired on the due day)."""
        allowed = in_force(self.id, "days")
        candidates = self.candidates(allowed, as_of, since)
        households, reach, username = _households(
            user, filters, candidates, reviews=self.id == PLAN_REVIEW
        )
        for pk, owed in self.owed(households, as_of, allowed):
            mine = owed.cadre is not None and owed.cadre[0] == username
            if reach is not None and pk not in reach and not mine:
                continue
            if filters.cadre and (owed.cadre is None or owed.cadre[0] != filters.cadre):
                continue
            yield owed

    def _open(
        self,
        user: User | AnonymousUser,
        filters: Filters,
        as_of: datetime.date,
        since: datetime.date | None,
    ) -> Iterator[Owed]:
        """The obligations the user sees not met by `as_of`."""
        for owed in self._seen(user, filters, as_of, since):
            if owed.met_on is None or owed.met_on > as_of:
                yield owed

    def met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[MetLater]:
        """The obligations met after the day after their due day, by `as_of` (the queries of
        `overdue`)."""
        return self.tallies_and_met_later(user=user, as_of=as_of, since=since, filters=filters)[1]

    def tallies_and_met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> tuple[list[Tally], list[MetLater]]:
        """One pass over the obligations the user sees: the overdue ones counted, and those
        met late."""
        items = []
        counts: Counter[tuple[datetime.date, datetime.date]] = Counter()
        for owed in self._seen(user, filters, as_of, since):
            if owed.start < since or owed.due >= as_of:
                continue
            met = owed.met_on
            if met is None or met > as_of:
                items.append(self._item(owed, as_of, pending=False))
            elif was_overdue_until(owed.due, met, None):
                counts[(owed.due, met)] += 1
        return tally(items), met_later_of(self.id, counts)

    def _item(self, owed: Owed, as_of: datetime.date, *, pending: bool) -> OverdueItem:
        return OverdueItem(
            rule=self.id,
            article=self.article,
            period=owed.period,
            period_start=owed.start,
            period_end=owed.due,
            due=owed.due,
            days_overdue=0 if pending else (as_of - owed.due).days,
            household=owed.number,
            village=owed.village,
            cadre=owed.cadre[0] if owed.cadre else None,
            department=None,
            subject=self.subject(owed),
            cadre_name=owed.cadre[1] if owed.cadre else None,
        )

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[OverdueItem]:
        return [
            self._item(owed, as_of, pending=False)
            for owed in self._open(user, filters, as_of, since)
            if owed.due < as_of and owed.start >= since
        ]

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> list[OverdueItem]:
        until = due_soon_until(self.id, as_of)
        return [
            self._item(owed, as_of, pending=True)
            for owed in self._open(user, filters, as_of, None)
            if owed.start <= as_of <= owed.due <= until
        ]


@register(order=55)
class PlanExistsRule(_PlanRule):
    id = PLAN_EXISTS
    label = gettext_lazy("Help plan drawn up")
    article = 34
    title = "every household not closed has an approved help plan within days of its pairing"

    def candidates(self, allowed: InForce, as_of: datetime.date, since: datetime.date | None) -> Q:
        live_from = max(go_live(), REGULATION_START)
        if live_from > as_of:
            return NOWHERE  # every clock starts after as_of
        days = [value for _start, value in allowed.steps]
        if since is None:  # pending: due on or after as_of, so started at most max(days) before
            earliest = as_of - datetime.timedelta(days=max(days))
            met_by = as_of  # an approval by as_of closes it
        else:  # listed or met late: met after its due day + 1, at least min(days) + 1 after since
            earliest = since
            met_by = max(since, live_from) + datetime.timedelta(days=min(days) + 1)
        found = ~Q(
            Exists(HelpPlan.objects.filter(household_id=OuterRef("pk"), approved_on__lte=met_by))
        )
        if live_from < earliest:  # the clock starts at the first pairing: not before earliest
            found &= ~Q(
                Exists(Pairing.objects.filter(household_id=OuterRef("pk"), start__lt=earliest))
            )
        return found

    def owed(
        self, households: dict[int, _Household], as_of: datetime.date, allowed: InForce
    ) -> Iterator[tuple[int, Owed]]:
        live_from = max(go_live(), REGULATION_START)
        for pk, row in households.items():
            start = max(row.spans[0][0], live_from)
            if start > as_of:
                continue
            due = start + datetime.timedelta(days=allowed.on(start))
            met = min((day for _year, day in row.approved), default=None)
            yield (
                pk,
                Owed(
                    row.number, row.village, start.isoformat(), start, due, met, row.cadre_on(due)
                ),
            )

    def subject(self, owed: Owed) -> str:
        return _("draw up the help plan and have it approved (paired since %(day)s)") % {
            "day": owed.start.isoformat()
        }


@register(order=56)
class PlanReviewRule(_PlanRule):
    id = PLAN_REVIEW
    label = gettext_lazy("Help plan reviewed yearly")
    article = 34
    title = "a household's help plan is reviewed (动态调整) each year"

    def candidates(self, allowed: InForce, as_of: datetime.date, since: datetime.date | None) -> Q:
        found = NOWHERE
        longest = max(value for _start, value in allowed.steps)
        first = since.year if since else as_of.year - longest // 365 - 1
        for year in range(first, as_of.year + 1):
            start = datetime.date(year, 1, 1)
            due = start + datetime.timedelta(days=allowed.on(start))
            if since is None:  # pending: started, due on or after as_of; met by as_of closes it
                if not start <= as_of <= due:
                    continue
                met_by = as_of
            else:  # listed or met late: met after the day after its due day
                if start < since or due >= as_of:
                    continue
                met_by = due + datetime.timedelta(days=1)
            approved = HelpPlan.objects.filter(
                household_id=OuterRef("pk"), approved_on__isnull=False
            )
            reviewed = PlanStep.objects.filter(
                done_by(
                    min(met_by, datetime.date(year, 12, 31)), dated="done_on", entered="entered_at"
                ),
                plan__household_id=OuterRef("pk"),
                step=PlanStep.Step.REVIEW,
                done_on__gte=start,
            )
            found |= (
                Q(Exists(approved.filter(approved_on__lt=start)))
                & ~Q(Exists(approved.filter(year=year, approved_on__lte=met_by)))
                & ~Q(Exists(reviewed))
            )
        return found

    def owed(
        self, households: dict[int, _Household], as_of: datetime.date, allowed: InForce
    ) -> Iterator[tuple[int, Owed]]:
        for pk, row in households.items():
            if not row.approved:
                continue
            first = min(day for _year, day in row.approved)
            for year in range(first.year + 1, as_of.year + 1):
                start = datetime.date(year, 1, 1)
                due = start + datetime.timedelta(days=allowed.on(start))
                met = min(
                    [day for day in row.reviews if day.year == year]
                    + [day for plan_year, day in row.approved if plan_year == year],
                    default=None,
                )
                yield (
                    pk,
                    Owed(row.number, row.village, str(year), start, due, met, row.cadre_on(due)),
                )

    def subject(self, owed: Owed) -> str:
        return _("review the help plan for %(year)s (动态调整)") % {"year": owed.period}


@register(order=57)
class MeasureDeliverRule(RoutedRecordRule):
    id = MEASURE_DELIVER
    label = gettext_lazy("Help measure carried out")
    article = 34
    title = "a help measure carried out by its department by its due day"
    since_field = "due"

    def scoped(self, user: User | AnonymousUser, filters: Filters) -> QuerySet:
        if filters.cadre:
            return HelpMeasure.objects.none()  # the department answers, not a cadre
        measures = visible(user, HelpMeasure.objects.filter(due__isnull=False))
        if filters.village:
            measures = measures.filter(plan__household__village__name=filters.village)
        if filters.department:
            measures = measures.filter(department__name=filters.department)
        return measures

    def open_q(self, as_of: datetime.date) -> Q:
        return Q(done_on__isnull=True) | ~done_by(as_of, dated="done_on", entered="done_at")

    def tallies(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[Tally]:
        """`overdue`'s measures counted in the database: a county has tens of thousands."""
        records = self.overdue_records(user=user, as_of=as_of, since=since, filters=filters)
        rows = (
            records.order_by()
            .values_list("due", "plan__household__village__name", "department__name")
            .annotate(n=Count("pk"))
        )
        return [
            Tally(self.id, self.article, due, village, department, None, None, n)
            for due, village, department, n in rows
        ]

    def closed_from(self) -> Expression:
        return counts_from(dated="done_on", entered="done_at")

    def due_soon_until(self, as_of: datetime.date) -> datetime.date:
        return due_soon_until(self.id, as_of)

    def items(self, records: QuerySet, as_of: datetime.date, *, pending: bool) -> list[OverdueItem]:
        subject = _("carry out the measure 「%(kind)s」 of the %(year)d help plan")
        return [
            OverdueItem(
                rule=self.id,
                article=self.article,
                period=str(year),
                period_start=datetime.date(year, 1, 1),
                period_end=due,
                due=due,
                days_overdue=0 if pending else (as_of - due).days,
                household=number,
                village=village,
                cadre=None,
                department=department,
                subject=subject % {"kind": kind, "year": year},
            )
            for year, due, number, village, department, kind in records.values_list(
                "plan__year",
                "due",
                "plan__household__number",
                "plan__household__village__name",
                "department__name",
                "kind",
            )
        ]
