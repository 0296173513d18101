"""Model permissions of the roles and posts come from the code's matrix (xigang.roles), not from
the groups' permission rows: whoever edits those rows gives nobody anything."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model

from xigang import roles

# ModelBackend's own cache attribute, so that whatever clears Django's cache clears ours
_CACHE = "_group_perm_cache"


class RoleMatrixBackend(ModelBackend):
    """Django's ModelBackend (passwords, single permissions, superusers), with each group's
    permissions read from `roles.MATRIX` by the group's name."""

    def get_group_permissions(
        self, user_obj: User | AnonymousUser, obj: Model | None = None
    ) -> set[str]:
        if user_obj.is_superuser or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_group_permissions(user_obj, obj)
        if obj is not None:
            return set()
        cached: set[str] | None = getattr(user_obj, _CACHE, None)
        if cached is None:
            cached = roles.permissions_of(user_obj.groups.values_list("name", flat=True))
            setattr(user_obj, _CACHE, cached)
        return cached
