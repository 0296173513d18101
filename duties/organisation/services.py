"""Writes on the organisation: cadres with their roles and scope, village assignments."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from duties.checks import mobile_error
from duties.models import Cadre, Department, Village, VillageAssignment
from xigang import roles as role_names
from xigang.security.accounts import group_names, groups_set

VILLAGE_PERM = "duties.work_in_village"
DEPARTMENT_PERM = "duties.work_in_department"


def grant_village(user: User, village: Village) -> None:
    assign_perm(VILLAGE_PERM, user, village)


def revoke_village(user: User, village: Village) -> None:
    remove_perm(VILLAGE_PERM, user, village)


def grant_department(user: User, department: Department) -> None:
    assign_perm(DEPARTMENT_PERM, user, department)


def revoke_department(user: User, department: Department) -> None:
    remove_perm(DEPARTMENT_PERM, user, department)


def username_refusal(user: User | None) -> str | None:
    """A new cadre never takes over an existing account (an administrator's, or one made in the
    accounts admin): its user name must be free."""
    if user is not None and not hasattr(user, "cadre"):
        return _("the user name 「%(name)s」 belongs to another account; choose another") % {
            "name": user.get_username()
        }
    return None


def cadre_groups(user: User | None, roles: Iterable[str]) -> set[str]:
    """The groups a cadre saved with `roles` holds: those roles, and the posts it held."""
    posts = group_names(user) & set(role_names.ADMIN_POSTS) if user is not None else set()
    return set(roles) | posts


@transaction.atomic
def cadre_save(
    *,
    username: str,
    name: str,
    unit: Department | Village | None = None,
    roles: Iterable[str] = (),
    mobile: str = "",
    title: str = "",
    by: User | AnonymousUser | None = None,
) -> Cadre:
    """Create or update a cadre and its user account; set its role groups to exactly `roles`
    (keeping any administrative post, which only a 安全管理员 changes) and grant the row scope
    of its unit (its department, or its village for village cadres). `by` is who acts (None:
    the operator); `xigang.security.accounts` decides whose roles they may change.

    A new account gets no usable password: a 系统管理员 issues a one-time code with which the
    person sets their own."""
    roles = list(dict.fromkeys(roles))
    unknown = set(roles) - set(role_names.ALL_ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    error = mobile_error(mobile)
    if error:
        raise ValidationError({"mobile": error})
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    refusal = username_refusal(user)
    if refusal:
        raise ValidationError(refusal, code="username_taken")
    if user is None:
        user = user_model(username=username)
        user.set_unusable_password()
    groups = cadre_groups(user, roles)
    user.first_name = name
    user.is_staff = bool(groups) or user.is_superuser  # the admin screens are for role holders
    user.save()
    groups_set(user=user, names=groups, by=by)  # refused for oneself; recorded; may sign out

    cadre = Cadre.objects.filter(user=user).first() or Cadre(user=user)
    old_unit = cadre.unit if cadre.pk else None
    cadre.name = name
    cadre.mobile = mobile
    cadre.title = title
    cadre.department = unit if isinstance(unit, Department) else None
    cadre.village = unit if isinstance(unit, Village) else None
    cadre.full_clean()
    cadre.save()
    _unit_scope_follows(cadre, unit, old_unit, roles)
    return cadre


def _unit_scope_follows(
    cadre: Cadre,
    unit: Department | Village | None,
    old_unit: Department | Village | None,
    roles: list[str],
) -> None:
    """The unit's scope follows the role that uses it: a cadre moved elsewhere, or no longer
    holding the role, loses it (a 包村干部 assignment to the village keeps its own grant)."""
    if old_unit is not None and old_unit != unit:
        _revoke_unit(cadre, old_unit)
    if isinstance(unit, Department):
        if role_names.DEPARTMENT in roles:
            grant_department(cadre.user, unit)
        elif old_unit == unit:
            _revoke_unit(cadre, unit)
    if isinstance(unit, Village):
        if role_names.VILLAGE in roles:
            grant_village(cadre.user, unit)
        elif old_unit == unit:
            _revoke_unit(cadre, unit)


def _revoke_unit(cadre: Cadre, unit: Department | Village) -> None:
    if isinstance(unit, Department):
        revoke_department(cadre.user, unit)
    elif not VillageAssignment.objects.filter(village=unit, cadre=cadre).exists():
        revoke_village(cadre.user, unit)


@transaction.atomic
def village_assignments_set(*, village: Village, cadres: Iterable[Cadre]) -> None:
    """Set the town cadres assigned to a village (包村干部); they reach the village's rows."""
    wanted = {c.pk: c for c in cadres}
    current = {a.cadre_id: a for a in VillageAssignment.objects.filter(village=village)}
    for cadre_id, assignment in current.items():
        if cadre_id not in wanted:
            assignment.delete()
            cadre = assignment.cadre
            own_village = (
                cadre.village_id == village.pk
                and cadre.user.groups.filter(name=role_names.VILLAGE).exists()
            )
            if not own_village:  # a village's own cadre keeps the village
                revoke_village(cadre.user, village)
    for cadre_id, cadre in wanted.items():
        if cadre_id not in current:
            VillageAssignment.objects.create(village=village, cadre=cadre)
            grant_village(cadre.user, village)
