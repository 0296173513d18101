"""The three administrative posts (三员): system, security and audit administrator.

One person holds at most one of them (等保 2.0 level 3, separation of duties). The check is here,
once; `xigang.security.accounts` (the user admin form, `post_assign`, the cadre services) calls
it."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from xigang import roles


def check_posts(group_names: Iterable[str]) -> None:
    """Refuse a set of groups that combines two of the three posts."""
    names = set(group_names)
    held = [name for name in roles.ADMIN_POSTS if name in names]
    if len(held) > 1:
        raise ValidationError(
            _(
                "One person may hold only one of the posts 系统管理员, 安全管理员 and 审计管理员; "
                "this account would hold %(posts)s."
            )
            % {"posts": "、".join(held)},
            code="posts_combined",
        )


def holds_post(user, post: str) -> bool:
    """Whether `user` holds `post` themself. A superuser holds no post unless given it: the
    powers that belong to one post alone are not granted by being a superuser."""
    if post not in roles.ADMIN_POSTS:
        raise ValueError(post)
    return user.is_authenticated and user.is_active and user.groups.filter(name=post).exists()


def post_assign(*, user: User, post: str, by: User | None = None) -> None:
    """Give `user` one of the three posts (and the admin screens), refusing a combination; `by`
    must be a 安全管理员 (None: the operator at the server's shell). Recorded in the history."""
    from xigang.security.accounts import group_names, groups_set

    if post not in roles.ADMIN_POSTS:
        raise ValidationError(_("「%(post)s」 is not an administrative post") % {"post": post})
    groups_set(user=user, names=group_names(user) | {post}, by=by)
