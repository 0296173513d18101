"""The row scope of projects and assets (plugged into xigang.scope): a village reaches its own
projects and assets, a department the projects it implements and the assets it manages (经管站)
or whose project it implements; the whole-town roles all of them. No routed reach: the write
scope is the read scope."""

from __future__ import annotations

from django.db.models import Q

from xigang import scope
from xigang.scope import Scope


def project_q(s: Scope, prefix: str = "") -> Q:
    return Q(**{f"{prefix}village_id__in": s.village_ids}) | Q(
        **{f"{prefix}department_id__in": s.department_ids}
    )


def asset_q(s: Scope, prefix: str = "") -> Q:
    return (
        Q(**{f"{prefix}village_id__in": s.village_ids})
        | Q(**{f"{prefix}manager_id__in": s.department_ids})
        | Q(**{f"{prefix}project__department_id__in": s.department_ids})
    )


def _notice_q(s: Scope) -> Q:
    return project_q(s, "project__") | asset_q(s, "distribution__asset__")


scope.register_rows("projects.project", project_q)
scope.register_rows("projects.projectfund", lambda s: project_q(s, "project__"))
scope.register_rows("projects.asset", asset_q)
scope.register_rows("projects.distribution", lambda s: asset_q(s, "asset__"))
scope.register_rows("projects.notice", _notice_q)
