"""Oversight rules: `finding.rectify` (arts. 41, 43), a finding not rectified by its deadline;
`first_secretary.dispatch` and `first_secretary.spot_check` (art. 5), 组织科's 定期调度 and
随机抽查 of each 第一书记."""

import datetime
from collections import Counter
from collections.abc import Iterable
from typing import ClassVar

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duties.organisation.params import PERIOD_KINDS, due_soon_until, stored, with_default
from oversight.models import Finding, FirstSecretary, FirstSecretaryCheck
from xigang.entry import counts_from, done_by, known_from
from xigang.obligations import (
    Filters,
    MetLater,
    OverdueItem,
    Rule,
    closed_late,
    met_later_of,
    register,
    was_overdue_until,
)
from xigang.periods import Period, period_of, periods_between
from xigang.scope import visible


@register(order=60)
class FindingRectifyRule(Rule):
    id = "finding.rectify"
    label = gettext_lazy("Finding rectified")
    article = 41
    articles = frozenset({41, 43})  # art. 43 holds to account those who leave it unrectified
    title = "inspection finding rectified by its deadline"

    def _scoped(self, user: User | AnonymousUser, filters: Filters) -> QuerySet:
        """The findings in the user's scope under the filters, rectified or not."""
        findings = visible(user, Finding.objects.all())
        if filters.village:
            findings = findings.filter(village__name=filters.village)
        if filters.department:
            findings = findings.filter(department__name=filters.department)
        if filters.cadre:
            findings = findings.filter(cadre__user__username=filters.cadre)
        return findings

    def _open(self, user: User | AnonymousUser, filters: Filters, as_of: datetime.date):
        # Rectified as of `as_of`: from go-live, by the rectification's entry time, not its
        # typed date (`xigang.entry.done_by`), so that editing the date never clears an item.
        not_done = ~done_by(as_of, dated="rectified_on", entered="rectified_at")
        findings = self._scoped(user, filters).filter(Q(rectified_on__isnull=True) | not_done)
        return findings.select_related("village", "department", "cadre__user", "inspection")

    def met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[MetLater]:
        """Findings rectified by an entry made after the day after their deadline (one query)."""
        findings = self._scoped(user, filters).filter(found_on__gte=since, deadline__lt=as_of)
        return closed_late(
            self.id,
            findings,
            clock="deadline",
            closed=counts_from(dated="rectified_on", entered="rectified_at"),
            as_of=as_of,
        )

    def _item(self, finding: Finding, days_overdue: int) -> OverdueItem:
        return OverdueItem(
            rule=self.id,
            article=self.article,
            period=finding.found_on.isoformat(),
            period_start=finding.found_on,
            period_end=finding.deadline,
            due=finding.deadline,
            days_overdue=days_overdue,
            household=None,
            village=finding.village.name if finding.village else None,
            cadre=finding.cadre.user.username if finding.cadre else None,
            department=finding.department.name if finding.department else None,
            subject=_("rectify the finding of 「%(inspection)s」: %(description)s")
            % {"inspection": finding.inspection.title, "description": finding.description},
            cadre_name=finding.cadre.name if finding.cadre else None,
        )

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> Iterable[OverdueItem]:
        # One query: open findings found on or after `since` whose deadline passed before `as_of`.
        findings = self._open(user, filters, as_of).filter(found_on__gte=since, deadline__lt=as_of)
        return [self._item(f, (as_of - f.deadline).days) for f in findings]

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> Iterable[OverdueItem]:
        findings = self._open(user, filters, as_of).filter(
            deadline__gte=as_of, deadline__lte=due_soon_until(self.id, as_of)
        )
        return [self._item(f, 0) for f in findings]


def _schedule(rule: str, as_of: datetime.date) -> tuple[str, datetime.date]:
    """A 第一书记 rule's calendar period (its frequency, "months", in force on `as_of`, for the
    whole report) and the last due day counted as due soon: both parameters in one query."""
    rows = stored(rule, ("months", "due_soon_days"))
    months = with_default(rule, "months", rows["months"]).on(as_of)
    window = with_default(rule, "due_soon_days", rows["due_soon_days"]).on(as_of)
    return PERIOD_KINDS[months], as_of + datetime.timedelta(days=window)


class _FirstSecretaryRule(Rule):
    """组织科's checks of each 第一书记 (art. 5): a period (see `kind`) is owed for a 第一书记
    who served on every day of it, met by a check of `check` dated inside it, overdue once it
    has ended. 组织科 answers for it; the 第一书记's village is named."""

    check: ClassVar[str]
    article = 5

    def _secretaries(
        self,
        user: User | AnonymousUser,
        first: datetime.date,
        last: datetime.date,
        filters: Filters,
    ) -> list[FirstSecretary]:
        if filters.cadre:
            return []  # 组织科 answers, not a cadre
        rows = visible(user, FirstSecretary.objects.filter(started_on__lte=last)).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=first)
        )
        if filters.village:
            rows = rows.filter(village__name=filters.village)
        if filters.department:
            rows = rows.filter(department__name=filters.department)
        return list(rows.select_related("village", "cadre", "department"))

    def _items(
        self,
        user: User | AnonymousUser,
        kind: str,
        periods: list[Period],
        as_of: datetime.date,
        filters: Filters,
    ) -> list[OverdueItem]:
        if not periods:
            return []
        first, last = periods[0].start, periods[-1].end
        secretaries = self._secretaries(user, first, last, filters)
        met = self._met_from(kind, secretaries, first, last)
        done = {key for key, day in met.items() if day <= as_of}
        items = []
        for fs in secretaries:
            for p in periods:
                served = fs.started_on <= p.start and (fs.ended_on is None or fs.ended_on >= p.end)
                if not served or (fs.pk, p.label) in done:
                    continue
                items.append(
                    OverdueItem(
                        rule=self.id,
                        article=self.article,
                        period=p.label,
                        period_start=p.start,
                        period_end=p.end,
                        due=p.end,
                        days_overdue=max(0, (as_of - p.end).days),
                        household=None,
                        village=fs.village.name,
                        cadre=None,
                        department=fs.department.name,
                        subject=_("%(check)s of the first secretary %(name)s")
                        % {"check": self.check, "name": fs.cadre.name},
                    )
                )
        return items

    def _met_from(
        self,
        kind: str,
        secretaries: list[FirstSecretary],
        first: datetime.date,
        last: datetime.date,
    ) -> dict[tuple[int, str], datetime.date]:
        """(secretary id, period label) -> the first day a check of the period counts from:
        from go-live, the day it was entered (`xigang.entry`), so a back-filled check never
        rewrites a past list (one query)."""
        checks = (
            FirstSecretaryCheck.objects.filter(
                first_secretary__in=secretaries, kind=self.check, on__gte=first, on__lte=last
            )
            .annotate(known_on=known_from(dated="on", entered="created_at"))
            .values_list("first_secretary_id", "on", "known_on")
        )
        met: dict[tuple[int, str], datetime.date] = {}
        for fs, on, known_on in checks:
            key, day = (fs, period_of(kind, on).label), max(on, known_on or on)
            met[key] = min(day, met.get(key, day))
        return met

    def met_later(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> list[MetLater]:
        """Periods met by a check entered after the day after their end (two queries)."""
        kind, _soon = _schedule(self.id, as_of)
        periods = periods_between(kind, since, as_of)
        if not periods:
            return []
        secretaries = self._secretaries(user, periods[0].start, periods[-1].end, filters)
        met = self._met_from(kind, secretaries, periods[0].start, periods[-1].end)
        counts: Counter[tuple[datetime.date, datetime.date]] = Counter()
        for fs in secretaries:
            for p in periods:
                served = fs.started_on <= p.start and (fs.ended_on is None or fs.ended_on >= p.end)
                day = met.get((fs.pk, p.label))
                if (
                    served
                    and day is not None
                    and day <= as_of
                    and was_overdue_until(p.end, day, None)
                ):
                    counts[(p.end, day)] += 1
        return met_later_of(self.id, counts)

    def overdue(
        self,
        *,
        user: User | AnonymousUser,
        as_of: datetime.date,
        since: datetime.date,
        filters: Filters,
    ) -> Iterable[OverdueItem]:
        kind, _soon = _schedule(self.id, as_of)
        return self._items(user, kind, periods_between(kind, since, as_of), as_of, filters)

    def pending(
        self, *, user: User | AnonymousUser, as_of: datetime.date, filters: Filters
    ) -> Iterable[OverdueItem]:
        kind, soon = _schedule(self.id, as_of)
        current = period_of(kind, as_of)
        if current.end > soon:
            return []
        return self._items(user, kind, [current], as_of, filters)


@register(order=90)
class FirstSecretaryDispatchRule(_FirstSecretaryRule):
    id = "first_secretary.dispatch"
    label = gettext_lazy("First secretary dispatched")
    title = "first secretary dispatched each month"
    check = FirstSecretaryCheck.Kind.DISPATCH


@register(order=91)
class FirstSecretarySpotCheckRule(_FirstSecretaryRule):
    id = "first_secretary.spot_check"
    label = gettext_lazy("First secretary spot-checked")
    title = "first secretary spot-checked each quarter"
    check = FirstSecretaryCheck.Kind.SPOT
