"""Who may change whose roles and posts (三员, docs/security.md "Round two"), decided here in
code, once, for the accounts admin and the cadre services (cadre admin, `cadres` ledger):

- nobody changes their own roles or posts;
- the three posts are given and taken by a 安全管理员 only;
- a post holder's roles change only through a 安全管理员;
- the other accounts' roles: a 安全管理员, a 系统管理员 (the accounts admin) or whoever keeps the
  cadres (the cadre services, in their scope).

Every change of an account's groups is in the change history: who, whom, old and new."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xigang import history, roles
from xigang.security.posts import check_posts, holds_post
from xigang.security.sessions import ending_sessions_on_last_group


def group_names(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True)) if user.pk else set()


def groups_refusals(
    *, by: User | AnonymousUser | None, user: User, old: Iterable[str], new: Iterable[str]
):
    """Why `by` may not change `user`'s groups from `old` to `new` (empty: it may). `by` None
    is the operator at the server's shell (setting up the first holders)."""
    old, new = set(old), set(new)
    changed = old ^ new
    if not changed or by is None:
        return []
    errors = []
    if user.pk is not None and user.pk == by.pk:
        errors.append(_("Nobody changes their own roles or posts; another administrator must."))
    security = holds_post(by, roles.SECURITY_ADMIN)
    if changed & set(roles.ADMIN_POSTS) and not security:
        errors.append(
            _("Only a 安全管理员 gives or takes the posts 系统管理员, 安全管理员, 审计管理员.")
        )
    elif (old | new) & set(roles.ADMIN_POSTS) and not security:
        errors.append(
            _("%(name)s holds an administrative post: only a 安全管理员 changes their roles.")
            % {"name": user.get_username()}
        )
    return errors


def check_groups_change(
    *, by: User | AnonymousUser | None, user: User, old: Iterable[str], new: Iterable[str]
):
    """Raise a ValidationError with every reason the change is refused."""
    new = set(new)
    errors = groups_refusals(by=by, user=user, old=old, new=new)
    try:
        check_posts(new)
    except ValidationError as exc:
        errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors, code="groups_refused")


@transaction.atomic
def groups_set(*, user: User, names: Iterable[str], by: User | AnonymousUser | None = None) -> bool:
    """Set `user`'s groups to exactly `names`, if `by` may; record the change (actor from the
    history context). An account left with no group is signed out. Returns whether it changed."""
    names = set(names)
    unknown = names - set(roles.ALL_ROLES) - set(roles.ADMIN_POSTS)
    if unknown:
        raise ValidationError(_("unknown roles: %(names)s") % {"names": "、".join(sorted(unknown))})
    old = group_names(user)
    check_groups_change(by=by, user=user, old=old, new=names)
    if old == names:
        return False
    with ending_sessions_on_last_group(user):
        user.groups.set(Group.objects.filter(name__in=names))
    if user.is_staff != bool(names) and not user.is_superuser:
        user.is_staff = bool(names)  # the records screens are for those who hold a role
        user.save(update_fields=["is_staff"])
    history.record(
        "groups",
        model="auth.user",
        object_pk=user.pk,
        object_repr=user.get_username(),
        old={"groups": _ordered(old)},
        new={"groups": _ordered(names)},
    )
    return True


def _ordered(names: set[str]) -> list[str]:
    order = (*roles.ALL_ROLES, *roles.ADMIN_POSTS)
    return sorted(names, key=lambda n: order.index(n) if n in order else len(order))
