from typing import Any

from django.http import HttpRequest

from xigang.scope import scope_of


def roles(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's roles, for menus (computed once per request by the scope module)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": frozenset()}
    return {"user_roles": scope_of(user).roles}
