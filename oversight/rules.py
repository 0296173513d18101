"""Rule `finding.rectify` (arts. 41, 43): a finding not rectified by its deadline."""

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q
from django.utils.translation import gettext as _

from duties.organisation.params import due_soon_until
from oversight.models import Finding
from xigang.entry import done_by
from xigang.obligations import Filters, OverdueItem, Rule, register
from xigang.scope import visible


@register(order=60)
class FindingRectifyRule(Rule):
    id = "finding.rectify"
    article = 41
    title = "inspection finding rectified by its deadline"

    def _open(self, user: User | AnonymousUser, filters: Filters, as_of: datetime.date):
        # Rectified as of `as_of`: from go-live, by the rectification's entry time, not its
        # typed date (`xigang.entry.done_by`), so that editing the date never clears an item.
        not_done = ~done_by(as_of, dated="rectified_on", entered="rectified_at")
        findings = visible(user, Finding.objects.filter(Q(rectified_on__isnull=True) | not_done))
        if filters.village:
            findings = findings.filter(village__name=filters.village)
        if filters.department:
            findings = findings.filter(department__name=filters.department)
        if filters.cadre:
            findings = findings.filter(cadre__user__username=filters.cadre)
        return findings.select_related("village", "department", "cadre__user", "inspection")

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
