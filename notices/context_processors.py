from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from notices.models import Notice


def unread(request: HttpRequest) -> dict[str, Any]:
    """The header's unread count, counted only when a page shows it (one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    count: Callable[[], int] = lambda: Notice.objects.filter(  # noqa: E731
        user=user, read_at__isnull=True
    ).count()
    return {"unread_notices": count}
