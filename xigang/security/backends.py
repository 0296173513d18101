"""Model permissions of the roles and posts come from the code's matrix (xigang.roles), not from
the groups' permission rows: whoever edits those rows gives nobody anything."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from xigang import roles


class RoleMatrixBackend(ModelBackend):
    """Django's ModelBackend (passwords, single permissions, superusers), with each group's
    permissions read from `roles.MATRIX` by the group's name."""

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        if user_obj.is_superuser or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_group_permissions(user_obj, obj)
        if obj is not None:
            return set()
        if not hasattr(user_obj, "_group_perm_cache"):
            names = user_obj.groups.values_list("name", flat=True)
            user_obj._group_perm_cache = roles.permissions_of(names)
        return user_obj._group_perm_cache
