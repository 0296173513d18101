"""The row scope of oversight records (plugged into xigang.scope)."""

from __future__ import annotations

from django.db.models import Q

from xigang import scope
from xigang.scope import Scope


def _subject_q(s: Scope, via: str = "") -> Q:
    """Oversight records reach the unit or person they are about (`via`: the path to the
    record that names them)."""
    q = Q(**{f"{via}department_id__in": s.department_ids}) | Q(
        **{f"{via}village_id__in": s.village_ids}
    )
    if s.cadre_id:
        q |= Q(**{f"{via}cadre_id": s.cadre_id})
    return q


for _label in ("oversight.finding", "oversight.accountability", "oversight.commendation"):
    scope.register_rows(_label, _subject_q)
scope.register_rows("oversight.findingextension", lambda s: _subject_q(s, "finding__"))
# 第一书记 (art. 5): the managing unit (组织科) keeps the register; the village reads its own
# 第一书记, and the 第一书记 their own record: the same shape as a subject's.
scope.register_rows("oversight.firstsecretary", _subject_q)
scope.register_rows("oversight.firstsecretarycheck", lambda s: _subject_q(s, "first_secretary__"))
# A spot check belongs to the unit that drew it (组织科 for the 第一书记).
scope.register_rows("oversight.spotcheck", lambda s: Q(department_id__in=s.department_ids))
scope.register_rows(
    "oversight.spotcheckanswer", lambda s: Q(spot_check__department_id__in=s.department_ids)
)
# Inspections, signals and the job's records are the inspectors' own: only the whole-town
# roles read them.
for _label in (
    "oversight.inspection",
    "oversight.signal",
    "oversight.signalrun",
    "oversight.contentprint",
):
    scope.register_rows(_label, scope.no_rows)
