"""The scope objects and the row scope of the organisation's models (plugged into xigang.scope)."""

from __future__ import annotations

from django.db.models import Q

from duties.models import Cadre, Department, Village
from xigang import scope
from xigang.scope import RowFilter, Scope


def _cadre_q(s: Scope) -> Q:
    q = Q(village_id__in=s.village_ids) | Q(department_id__in=s.department_ids)
    if s.cadre_id:
        q |= Q(pk=s.cadre_id)
    return q


def _unit_q(prefix: str) -> RowFilter:
    """Scheduled obligations reach their department's staff or their village's cadres."""
    return lambda s: (
        Q(**{f"{prefix}department_id__in": s.department_ids})
        | Q(**{f"{prefix}village_id__in": s.village_ids})
    )


def _in_villages(s: Scope) -> Q:
    return Q(village_id__in=s.village_ids)


scope.register_units(village=Village, department=Department, cadre=Cadre)

# The regulation and the shape of the organisation; departments are the units the regulation
# names, needed to read any routed item.
scope.register_public(
    "duties.article",
    "duties.department",
    "duties.duty",
    "duties.dutyschedule",
    "duties.partybranch",
)
scope.register_rows("duties.village", lambda s: Q(pk__in=s.village_ids))
scope.register_rows("duties.cadre", _cadre_q)
scope.register_rows("duties.villageassignment", _in_villages)
scope.register_rows("duties.obligation", _unit_q(""))
scope.register_rows("duties.disclosure", _in_villages)
scope.register_rows(
    "duties.evidence",
    lambda s: _unit_q("obligation__")(s) | Q(disclosure__village_id__in=s.village_ids),
)
# Rule parameters, generation marks and the grants themselves: the whole-town roles only.
for _label in (
    "duties.ruleparameter",
    "duties.generationmark",
    "duties.villageuserobjectpermission",
    "duties.villagegroupobjectpermission",
    "duties.departmentuserobjectpermission",
    "duties.departmentgroupobjectpermission",
):
    scope.register_rows(_label, scope.no_rows)
