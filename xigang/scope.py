"""Row scope: which rows a user may see. The one place that decides it.

A user's reach is computed once per request (`scope_of`) from
- the role groups (镇领导, 扶贫办, 纪检督查 see the whole town),
- guardian object permissions on the *scope objects*: `work_in_village` on Village (village
  cadres, 包村干部) and `work_in_department` on Department (department staff),
- the user's active pairings (pairing cadres reach their paired households).
Rows below the scope objects are filtered by a join, never by one permission row per household.

`visible(user, queryset)` narrows any queryset of a business model to the user's scope; every
view, admin changelist, export, JSON endpoint and command goes through it. `writable(user,
queryset)` is the same scope for changes and deletes, within the user's own unit. Verbs (view,
add, change, delete) come from the groups' model permissions and are checked with `user.has_perm`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from xigang import roles


@dataclass(frozen=True)
class Scope:
    roles: frozenset[str]
    whole_town: bool
    village_ids: frozenset[int]
    department_ids: frozenset[int]
    cadre_id: int | None
    sees_full_id: bool
    # A department reaches the households its problems and measures are routed to; for
    # writes it is off (`write_filter`): it reads them to do its part, it edits its own rows.
    routed_reach: bool = True

    @property
    def is_empty(self) -> bool:
        return not (self.whole_town or self.village_ids or self.department_ids or self.cadre_id)


NO_SCOPE = Scope(frozenset(), False, frozenset(), frozenset(), None, False)


def scope_of(user: User | AnonymousUser) -> Scope:
    """The user's reach, computed once and cached on the user object (4 queries at most)."""
    if not user.is_authenticated or not user.is_active:
        return NO_SCOPE
    cached = getattr(user, "_xigang_scope", None)
    if cached is not None:
        return cached
    from duties.models import Cadre, Department, Village

    if user.is_superuser:
        scope = Scope(frozenset(roles.ALL_ROLES), True, frozenset(), frozenset(), None, True)
    else:
        role_names = frozenset(user.groups.values_list("name", flat=True))
        whole_town = bool(role_names & roles.WHOLE_TOWN)
        scope = Scope(
            roles=role_names,
            whole_town=whole_town,
            village_ids=frozenset() if whole_town else _granted(user, Village, "work_in_village"),
            department_ids=_granted(user, Department, "work_in_department"),
            cadre_id=Cadre.objects.filter(user=user).values_list("id", flat=True).first(),
            sees_full_id=bool(role_names & roles.REGISTRY_KEEPERS),
        )
    user._xigang_scope = scope
    return scope


def _granted(user: User, model: type[Model], codename: str) -> frozenset[int]:
    """Ids of `model` rows on which the user, or one of the user's groups, holds `codename`.

    Reads guardian's direct-foreign-key permission tables; model-wide permissions do not count
    (a global `work_in_village` must not mean "every village")."""
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    user_perms = get_user_obj_perms_model(model)
    group_perms = get_group_obj_perms_model(model)
    direct = user_perms.objects.filter(user=user, permission__codename=codename).values_list(
        "content_object_id", flat=True
    )
    via_group = group_perms.objects.filter(
        group__user=user, permission__codename=codename
    ).values_list("content_object_id", flat=True)
    return frozenset(direct.union(via_group))


def invalidate(user: User) -> None:
    """Forget the cached reach (after grants change within one request or test)."""
    if hasattr(user, "_xigang_scope"):
        del user._xigang_scope


# --- row filters, one per business model -------------------------------------------------


def _today() -> datetime.date:
    return timezone.localdate()


def _household_q(scope: Scope, household_id: str, village_id: str) -> Q:
    """Households in reach: their village, an active pairing, or (for reading) something
    routed to the user's department. `household_id` and `village_id` are the paths from the
    model."""
    from households.models import HelpMeasure, Pairing
    from visits.models import Problem

    q = Q(**{f"{village_id}__in": scope.village_ids}) if scope.village_ids else Q(pk__in=[])
    if scope.cadre_id:
        today = _today()
        paired = Pairing.objects.filter(cadre_id=scope.cadre_id, start__lte=today).filter(
            Q(end__isnull=True) | Q(end__gte=today)
        )
        q |= Q(**{f"{household_id}__in": paired.values("household_id")})
    if scope.department_ids and scope.routed_reach:
        routed = Problem.objects.filter(department_id__in=scope.department_ids)
        measured = HelpMeasure.objects.filter(department_id__in=scope.department_ids)
        q |= Q(**{f"{household_id}__in": routed.values("household_id")})
        q |= Q(**{f"{household_id}__in": measured.values("plan__household_id")})
    return q


def _below_household(household_id: str, village_id: str) -> Callable[[Scope], Q]:
    return lambda scope: _household_q(scope, household_id, village_id)


def _village_q(scope: Scope) -> Q:
    return Q(pk__in=scope.village_ids)


def _cadre_q(scope: Scope) -> Q:
    q = Q(village_id__in=scope.village_ids) | Q(department_id__in=scope.department_ids)
    if scope.cadre_id:
        q |= Q(pk=scope.cadre_id)
    return q


def _routed_q(household_id: str, village_id: str) -> Callable[[Scope], Q]:
    """Rows owned by a department (problems, measures) reach that department too."""

    def build(scope: Scope) -> Q:
        return _household_q(scope, household_id, village_id) | Q(
            department_id__in=scope.department_ids
        )

    return build


def _answers_for_emergencies(scope: Scope) -> Q:
    """救急难 cases reach the department art. 40 and art. 15 make answerable (民政科)."""
    from django.db.models import Exists

    from duties.models import Department

    if not scope.department_ids:
        return Q(pk__in=[])
    return Q(
        Exists(Department.objects.filter(pk__in=scope.department_ids, name=EMERGENCY_DEPARTMENT))
    )


def _subject_q(scope: Scope) -> Q:
    """Oversight records reach the unit or person they are about."""
    q = Q(department_id__in=scope.department_ids) | Q(village_id__in=scope.village_ids)
    if scope.cadre_id:
        q |= Q(cadre_id=scope.cadre_id)
    return q


def _unit_q(prefix: str) -> Callable[[Scope], Q]:
    """Scheduled obligations reach their department's staff or their village's cadres."""
    return lambda scope: (
        Q(**{f"{prefix}department_id__in": scope.department_ids})
        | Q(**{f"{prefix}village_id__in": scope.village_ids})
    )


EMERGENCY_DEPARTMENT = "民政科"

# Models every signed-in user may read: the regulation and the shape of the organisation.
_PUBLIC = {
    "duties.article",
    "duties.department",  # the units the regulation names, needed to read any routed item
    "duties.duty",
    "duties.dutyschedule",
    "duties.partybranch",
    "visits.problemcategory",
}

ROW_FILTERS: dict[str, Callable[[Scope], Q]] = {
    "duties.village": _village_q,
    "duties.cadre": _cadre_q,
    "duties.villageassignment": lambda s: Q(village_id__in=s.village_ids),
    "households.household": _below_household("id", "village_id"),
    "households.member": _below_household("household_id", "household__village_id"),
    "households.memberchange": _below_household("household_id", "household__village_id"),
    "households.pairing": _below_household("household_id", "household__village_id"),
    "households.helpplan": _below_household("household_id", "household__village_id"),
    "households.helpmeasure": _routed_q("plan__household_id", "plan__household__village_id"),
    "households.assessment": _below_household("household_id", "household__village_id"),
    "visits.visit": _below_household("household_id", "household__village_id"),
    "visits.problem": _routed_q("household_id", "household__village_id"),
    "visits.emergencycase": lambda s: (
        _household_q(s, "household_id", "household__village_id") | _answers_for_emergencies(s)
    ),
    "oversight.finding": _subject_q,
    "oversight.accountability": _subject_q,
    "oversight.commendation": _subject_q,
    "duties.obligation": _unit_q(""),
    "duties.disclosure": lambda s: Q(village_id__in=s.village_ids),
    "duties.evidence": lambda s: (
        _unit_q("obligation__")(s) | Q(disclosure__village_id__in=s.village_ids)
    ),
}


def register(label: str, row_filter: Callable[[Scope], Q]) -> None:
    """Add the row filter of a model defined later (kept beside the others at import time)."""
    ROW_FILTERS[label] = row_filter


def row_filter(user: User | AnonymousUser, model: type[Model], *, write: bool = False) -> Q | None:
    """The Q that keeps the user's rows of `model`; None means every row. With `write`, the
    rows the user may change or delete: the read scope within the user's own unit (a
    department edits its own measures and the problems routed to it, not every row of the
    households those lead it to)."""
    scope = scope_of(user)
    label = model._meta.label_lower
    if label in _PUBLIC and user.is_authenticated:
        return None
    if scope.whole_town:
        return None
    if label not in ROW_FILTERS:
        # A model with no declared scope is visible to nobody but the whole-town roles:
        # forgetting a row filter must never leak rows.
        return Q(pk__in=[])
    return ROW_FILTERS[label](replace(scope, routed_reach=False) if write else scope)


def visible(user: User | AnonymousUser, queryset: QuerySet) -> QuerySet:
    """`queryset` narrowed to the rows `user` may see."""
    if not user.is_authenticated:
        return queryset.none()
    q = row_filter(user, queryset.model)
    return queryset if q is None else queryset.filter(q)


def writable(user: User | AnonymousUser, queryset: QuerySet) -> QuerySet:
    """`queryset` narrowed to the rows `user` may change or delete (verbs still come from
    `user.has_perm`): never more than `visible`."""
    if not user.is_authenticated:
        return queryset.none()
    q = row_filter(user, queryset.model, write=True)
    return queryset if q is None else queryset.filter(q)


def units_in_reach(user: User | AnonymousUser) -> tuple[QuerySet, QuerySet]:
    """The departments and villages whose obligations the user answers for: every unit for the
    whole-town roles, else the departments and villages granted. Departments are public to
    read (`visible` returns them all), so their reach is decided here."""
    from duties.models import Department, Village

    scope = scope_of(user)
    departments, villages = Department.objects.all(), Village.objects.all()
    if scope.whole_town:
        return departments, villages
    return (
        departments.filter(pk__in=scope.department_ids),
        villages.filter(pk__in=scope.village_ids),
    )


def can_see(user: User | AnonymousUser, obj: Model) -> bool:
    return visible(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def can_write(user: User | AnonymousUser, obj: Model) -> bool:
    if user.is_authenticated and row_filter(user, type(obj), write=True) is None:
        return True  # every row: no query
    return writable(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def get_visible_or_404(user: User | AnonymousUser, queryset: QuerySet, **lookup) -> Model:
    """Fetch one row in scope; out of scope answers 404 exactly like a missing row."""
    try:
        return visible(user, queryset).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


def mask_id(user: User | AnonymousUser, id_number: str) -> str:
    """The ID number as this user may read it: full for registry keepers, masked otherwise."""
    from households.idnumber import mask

    if scope_of(user).sees_full_id and id_number:
        from xigang import history

        history.note_full_id_read()  # recorded once per request (xigang.history)
        return id_number
    return mask(id_number) if id_number else id_number
