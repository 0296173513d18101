"""Writes on the organisation: cadres with their roles and scope, village assignments, rule
parameters."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from duties.checks import (
    frequency_start_error,
    mobile_error,
    parameter_date_error,
    parameter_settled_error,
    parameter_value_error,
)
from duties.models import Cadre, Department, RuleParameter, Village, VillageAssignment
from duties.organisation.params import DEFAULTS, PERIOD_KINDS
from xigang import roles as role_names
from xigang.obligations import REGULATION_START
from xigang.scope import scope_of
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


# --- rule parameters (art. 44) ------------------------------------------------------------


def _office_only() -> str:  # noqa: N802 (a message, read in the user's language when said)
    return _("only 扶贫办 changes the parameters of the rules")


def may_edit_parameters(user: User | AnonymousUser) -> bool:
    """Only 扶贫办 changes the numbers of the rules (a superuser holds no role of its own)."""
    return not user.is_superuser and role_names.OFFICE in scope_of(user).roles


def _frequency_errors(rows: list[tuple[datetime.date, int]], today: datetime.date) -> list[str]:
    """Each future change of a visit frequency starts a period of the frequencies on both its
    sides (`rows`: the parameter's (effective_from, months) after the write)."""
    rows = sorted(rows)
    errors = []
    for (_before, old), (start, new) in zip(rows, rows[1:], strict=False):
        if start > today:
            error = frequency_start_error(start, [PERIOD_KINDS[old], PERIOD_KINDS[new]])
            if error:
                errors.append(error)
    return errors


def _rows_after(
    rule: str, name: str, without: RuleParameter | None, adding: tuple[datetime.date, int] | None
) -> list[tuple[datetime.date, int]]:
    """The parameter's steps once the write is done, the default first as `in_force` reads
    them; the rows are locked so that two writes cannot both pass the checks."""
    rows = RuleParameter.objects.select_for_update().filter(rule=rule, name=name)
    if without is not None and without.pk:
        rows = rows.exclude(pk=without.pk)
    steps = list(rows.values_list("effective_from", "value"))
    if adding is not None:
        steps.append(adding)
    if not any(start <= REGULATION_START for start, _value in steps):
        steps.append((REGULATION_START, DEFAULTS[(rule, name)]))
    return steps


def rule_parameter_refusals(
    *,
    user: User | AnonymousUser,
    rule: str,
    name: str,
    value: int,
    effective_from: datetime.date,
    parameter: RuleParameter | None = None,
) -> dict[str, list[str]]:
    """Why this change may not be saved, by field (empty: it may); for the service, the admin's
    form and the parameters page alike."""
    today = timezone.localdate()
    if not may_edit_parameters(user):
        return {"__all__": [_office_only()]}
    if (rule, name) not in DEFAULTS:
        known = "、".join(f"{r} {n}" for r, n in DEFAULTS)
        message = _("unknown rule parameter 「%(rule)s %(name)s」; known: %(known)s")
        return {"__all__": [message % {"rule": rule, "name": name, "known": known}]}
    errors: dict[str, list[str]] = {}
    if parameter is not None and parameter.pk:
        stored = RuleParameter.objects.get(pk=parameter.pk)
        settled = parameter_settled_error(stored.effective_from, today)
        if settled:
            return {"__all__": [settled]}
    date_error = parameter_date_error(effective_from, today)
    if date_error:
        errors["effective_from"] = [date_error]
    value_error = parameter_value_error(name, value, PERIOD_KINDS)
    if value_error:
        errors["value"] = [value_error]
    if not errors and name == "months":
        rows = _rows_after(rule, name, parameter, (effective_from, value))
        frequency = _frequency_errors(rows, today)
        if frequency:
            errors["effective_from"] = frequency
    return errors


@transaction.atomic
def rule_parameter_save(
    *,
    user: User | AnonymousUser,
    rule: str,
    name: str,
    value: int,
    effective_from: datetime.date,
    note: str = "",
    parameter: RuleParameter | None = None,
) -> RuleParameter:
    """Add a change of a rule's parameter from a future date, or correct one not yet in force
    (`parameter`); what is or was in force is never rewritten (art. 44)."""
    errors = rule_parameter_refusals(
        user=user,
        rule=rule,
        name=name,
        value=value,
        effective_from=effective_from,
        parameter=parameter,
    )
    if errors:
        raise ValidationError(errors)
    parameter = parameter or RuleParameter()
    parameter.rule, parameter.name, parameter.value = rule, name, value
    parameter.effective_from = effective_from
    parameter.note = note.strip()
    parameter.full_clean()
    parameter.save()
    return parameter


@transaction.atomic
def rule_parameter_withdraw(*, user: User | AnonymousUser, parameter: RuleParameter) -> None:
    """Withdraw a change not yet in force."""
    if not may_edit_parameters(user):
        raise ValidationError(_office_only())
    stored = RuleParameter.objects.select_for_update().get(pk=parameter.pk)
    today = timezone.localdate()
    settled = parameter_settled_error(stored.effective_from, today)
    if settled:
        raise ValidationError(settled)
    if stored.name == "months":
        errors = _frequency_errors(_rows_after(stored.rule, stored.name, stored, None), today)
        if errors:
            raise ValidationError(errors)
    stored.delete()
