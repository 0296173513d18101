"""The rules' parameters in the portal (art. 44): each rule with its article, its parameters,
the value in force today and every change, past and scheduled. Changes are written in the admin
by 扶贫办 (`duties.organisation.services.rule_parameter_save`)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from duties.models import RuleParameter
from duties.models.organisation import chinese_numeral
from duties.organisation.params import DEFAULTS, GROUP_LABELS, MEANINGS, with_default
from duties.organisation.services import may_edit_parameters
from xigang import obligations
from xigang.scope import visible


@dataclass(frozen=True)
class Step:
    effective_from: datetime.date
    value: int
    note: str
    state: str  # "past", "current" or "scheduled"
    row: RuleParameter | None  # None: the default


@dataclass(frozen=True)
class Parameter:
    name: str
    meaning: str
    current: int
    steps: list[Step]


def _parameter(rule: str, name: str, rows: list[RuleParameter], today: datetime.date) -> Parameter:
    values = with_default(rule, name, [(row.effective_from, row.value) for row in rows])
    current = values.on(today)
    current_from = max(start for start, _value in values.steps if start <= today)
    by_date = {row.effective_from: row for row in rows}
    steps = []
    for start, value in values.steps:
        row = by_date.get(start)  # none for the default
        state = "current" if start == current_from else "past" if start < today else "scheduled"
        steps.append(Step(start, value, row.note if row else "", state, row))
    return Parameter(name, str(MEANINGS.get(name, name)), current, steps)


def _parameters(
    rule: str, rows: dict[tuple[str, str], list[RuleParameter]], today: datetime.date
) -> list[Parameter]:
    return [_parameter(rule, name, rows[(rule, name)], today) for r, name in DEFAULTS if r == rule]


@login_required
def parameter_list(request: HttpRequest) -> HttpResponse:
    """Every rule, whether or not it has parameters; two queries whatever the history."""
    if not request.user.has_perm("duties.view_ruleparameter"):
        raise PermissionDenied
    today = timezone.localdate()
    rows: dict[tuple[str, str], list[RuleParameter]] = defaultdict(list)
    for row in visible(request.user, RuleParameter.objects.order_by("effective_from", "id")):
        rows[(row.rule, row.name)].append(row)
    registered = obligations.rules()
    rules = [
        {
            "id": rule.id,
            "label": rule.label,
            "article": f"第{chinese_numeral(rule.article)}条",
            "parameters": _parameters(rule.id, rows, today),
        }
        for rule in registered
    ]
    # Parameters of no single rule (e.g. when a period closes) are listed after the rules.
    others = dict.fromkeys(r for r, _n in DEFAULTS if r not in {rule.id for rule in registered})
    rules += [
        {
            "id": key,
            "label": GROUP_LABELS.get(key, key),
            "article": "",
            "parameters": _parameters(key, rows, today),
        }
        for key in others
    ]
    return render(
        request,
        "duties/parameter_list.html",
        {"rules": rules, "today": today, "can_edit": may_edit_parameters(request.user)},
    )
