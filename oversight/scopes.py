"""The row scope of oversight records (plugged into xigang.scope)."""

from __future__ import annotations

from django.db.models import Q

from xigang import scope
from xigang.scope import Scope


def _subject_q(s: Scope) -> Q:
    """Oversight records reach the unit or person they are about."""
    q = Q(department_id__in=s.department_ids) | Q(village_id__in=s.village_ids)
    if s.cadre_id:
        q |= Q(cadre_id=s.cadre_id)
    return q


for _label in ("oversight.finding", "oversight.accountability", "oversight.commendation"):
    scope.register_rows(_label, _subject_q)
# Inspections are the inspectors' own records: only the whole-town roles read them.
scope.register_rows("oversight.inspection", scope.no_rows)
