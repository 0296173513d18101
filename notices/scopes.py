"""Row scope of messages and jobs (plugged into xigang.scope): a person reads their own
messages, preferences and digests; jobs and escalations only the whole-town roles."""

from __future__ import annotations

from django.db.models import Q

from xigang import scope
from xigang.scope import Scope


def _own(path: str):  # noqa: ANN202
    def rows(s: Scope) -> Q:
        return Q(**{path: s.cadre_id}) if s.cadre_id else Q(pk__in=[])

    return rows


scope.register_rows("notices.notice", _own("user__cadre__id"))
scope.register_rows("notices.digest", _own("user__cadre__id"))
scope.register_rows("notices.digestline", _own("digest__user__cadre__id"))
scope.register_rows("notices.preference", _own("user__cadre__id"))
scope.register_rows("notices.escalation", scope.no_rows)
scope.register_rows("notices.job", scope.no_rows)
