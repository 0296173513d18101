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

This module knows no app: each business app declares in its `scopes.py` the scope objects
(`register_units`), its public models (`register_public`) and a row filter for each other
model (`register_rows`). A model with neither shows no rows to scoped users.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from xigang import roles
from xigang.idnumber import mask


@dataclass(frozen=True)
class Scope:
    roles: frozenset[str]
    whole_town: bool
    village_ids: frozenset[int]
    department_ids: frozenset[int]
    cadre_id: int | None
    sees_full_id: bool
    # A department reaches the households its problems and measures are routed to; for
    # writes it is off (`row_filter(write=True)`): it reads them, it edits its own unit's rows.
    routed_reach: bool = True


NO_SCOPE = Scope(frozenset(), False, frozenset(), frozenset(), None, False)
# The attribute of the user object that caches its scope for the request.
_CACHE = "_xigang_scope"
M = TypeVar("M", bound=Model)


def scope_of(user: User | AnonymousUser) -> Scope:
    """The user's reach, computed once and cached on the user object (4 queries at most)."""
    if not user.is_authenticated or not user.is_active:
        return NO_SCOPE
    cached = getattr(user, _CACHE, None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(frozenset(roles.ALL_ROLES), True, frozenset(), frozenset(), None, True)
    else:
        role_names = frozenset(user.groups.values_list("name", flat=True))
        whole_town = bool(role_names & roles.WHOLE_TOWN)
        scope = Scope(
            roles=role_names,
            whole_town=whole_town,
            village_ids=frozenset() if whole_town else _granted(user, "village", "work_in_village"),
            department_ids=_granted(user, "department", "work_in_department"),
            cadre_id=_cadre_id(user),
            sees_full_id=bool(role_names & roles.REGISTRY_KEEPERS),
        )
    setattr(user, _CACHE, scope)
    return scope


def _granted(user: User, unit: str, codename: str) -> frozenset[int]:
    """Ids of the `unit` rows on which the user, or one of the user's groups, holds `codename`.

    Reads guardian's direct-foreign-key permission tables; model-wide permissions do not count
    (a global `work_in_village` must not mean "every village")."""
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    model = _UNITS[unit]
    # guardian's hints say an instance; it takes the model class as well (its own code checks).
    user_perms = get_user_obj_perms_model(model)  # type: ignore[arg-type]
    group_perms = get_group_obj_perms_model(model)  # type: ignore[arg-type]
    direct = user_perms._default_manager.filter(
        user=user, permission__codename=codename
    ).values_list("content_object_id", flat=True)
    via_group = group_perms._default_manager.filter(
        group__user=user, permission__codename=codename
    ).values_list("content_object_id", flat=True)
    return frozenset(direct.union(via_group))


def _cadre_id(user: User) -> int | None:
    cadres = _UNITS["cadre"]._default_manager.filter(user=user)
    return cadres.values_list("id", flat=True).first()


def invalidate(user: User) -> None:
    """Forget the cached reach (after grants change within one request or test)."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


# --- the registry: each business app plugs in its models' row filters (APP/scopes.py) ---------

RowFilter = Callable[[Scope], Q]

# Models every signed-in user may read (the regulation and the shape of the organisation).
_PUBLIC: set[str] = set()
# "app.model" -> the Q that keeps a scope's rows; one dict lookup per call.
_ROW_FILTERS: dict[str, RowFilter] = {}
_UNITS: dict[str, type[Model]] = {}


def register_units(*, village: type[Model], department: type[Model], cadre: type[Model]) -> None:
    """The scope objects (DESIGN.md): reach is granted on villages and departments, and a
    user's pairings are those of their cadre (a model with a `user` field)."""
    _UNITS.update(village=village, department=department, cadre=cadre)


def register_public(*labels: str) -> None:
    for label in labels:
        _claim(label)
        _PUBLIC.add(label)


def register_rows(label: str, row_filter: RowFilter) -> None:
    _claim(label)
    _ROW_FILTERS[label] = row_filter


def _claim(label: str) -> None:
    if label in _PUBLIC or label in _ROW_FILTERS:
        raise ImproperlyConfigured(f"the scope of {label} is declared twice")


def no_rows(scope: Scope) -> Q:
    """The filter of models that only the whole-town roles read."""
    return Q(pk__in=[])


def declared(label: str) -> bool:
    """Whether `label` has a row filter or is public (tests/test_architecture.py)."""
    return label in _PUBLIC or label in _ROW_FILTERS


def filters_rows(model: type[Model]) -> bool:
    """Whether `model` has a row filter of its own (choices offered by the admin narrow to it)."""
    return model._meta.label_lower in _ROW_FILTERS


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
    build = _ROW_FILTERS.get(label)
    if build is None:
        # A model with no declared scope is visible to nobody but the whole-town roles:
        # forgetting a row filter must never leak rows.
        return no_rows(scope)
    return build(replace(scope, routed_reach=False) if write else scope)


@dataclass(frozen=True)
class Attribution:
    """Which items attributed to cadres (overdue and pending obligations) a user sees: every
    item about the rows of `reach`, and the items attributed to the cadre `cadre_id` whatever
    today's pairings are. A pairing gives reach to today's cadre (the household), not its past
    periods: those stay with the cadre paired on their last day (docs/design.md)."""

    reach: QuerySet
    cadre_id: int | None
    whole_town: bool


def attribution(
    user: User | AnonymousUser, queryset: QuerySet[M], *, routed: bool = True
) -> Attribution:
    """The rows of `queryset` the user reaches through their units (villages, departments; with
    `routed` also what is routed to a department), not through today's pairings, and the cadre
    whose attributed items the user sees besides."""
    scope = scope_of(user)
    if not user.is_authenticated:
        return Attribution(queryset.none(), None, False)
    if scope.whole_town:
        return Attribution(queryset, None, True)
    build = _ROW_FILTERS.get(queryset.model._meta.label_lower, no_rows)
    units_only = replace(scope, cadre_id=None, routed_reach=routed and scope.routed_reach)
    return Attribution(queryset.filter(build(units_only)), scope.cadre_id, False)


def attributed(user: User | AnonymousUser, queryset: QuerySet[M], *, cadre: str) -> QuerySet[M]:
    """`queryset` narrowed to the rows the user sees as obligation items: those in reach by
    unit, and those whose `cadre` field (a path to a cadre id) names the user's cadre."""
    found = attribution(user, queryset)
    if found.cadre_id is None:
        return found.reach
    return found.reach | queryset.filter(**{cadre: found.cadre_id})


def visible(user: User | AnonymousUser, queryset: QuerySet[M]) -> QuerySet[M]:
    """`queryset` narrowed to the rows `user` may see."""
    if not user.is_authenticated:
        return queryset.none()
    q = row_filter(user, queryset.model)
    return queryset if q is None else queryset.filter(q)


def writable(user: User | AnonymousUser, queryset: QuerySet[M]) -> QuerySet[M]:
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
    scope = scope_of(user)
    departments = _UNITS["department"]._default_manager.all()
    villages = _UNITS["village"]._default_manager.all()
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


def get_visible_or_404(user: User | AnonymousUser, queryset: QuerySet[M], **lookup: Any) -> M:
    """Fetch one row in scope; out of scope answers 404 exactly like a missing row."""
    try:
        return visible(user, queryset).get(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def mask_id(user: User | AnonymousUser, id_number: str) -> str:
    """The ID number as this user may read it: full for registry keepers, masked otherwise."""
    if scope_of(user).sees_full_id and id_number:
        from xigang import history

        history.note_full_id_read()  # recorded once per request (xigang.history)
        return id_number
    return mask(id_number) if id_number else id_number
