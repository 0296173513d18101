"""Rule `member_change.report` (arts. 32, 37): a change of household members is reported within
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
  the change (cadre null when nobody was); the rule names no department.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from duties.organisation.params import in_force
from households.models import MemberChange, Pairing
from xigang.entry import counts_on, entry_day, go_live, known_by
from xigang.obligations import Filters, OverdueItem, Rule, register
from xigang.scope import visible

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


@register(order=30)
class MemberChangeReportRule(Rule):
    id = RULE
    article = 32
    title = "a change of household members is reported in time"

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
        allowed = in_force(RULE, "days")
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
        changes = (
            visible(user, MemberChange.objects.filter(happened_on__gte=since))
            .filter(known_by(as_of, dated="reported_on", entered="created_at"))
            .annotate(entered_on=TruncDate("created_at"))
            .filter(late)
        )
        if filters.village:
            changes = changes.filter(household__village__name=filters.village)
        changes = changes.annotate(
            cadre_username=_paired_cadre("cadre__user__username"),
            cadre_full_name=_paired_cadre("cadre__name"),
        )
        if filters.cadre:
            changes = changes.filter(cadre_username=filters.cadre)
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
