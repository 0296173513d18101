"""The data-quality page for 扶贫办 and village cadres (arts. 32, 37)."""

from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from duties.models import Village
from households import selectors
from xigang.scope import get_visible_or_404, mask_id

# Those who keep the registry may correct what the checks find.
QUALITY_PERMISSION = "households.change_member"
DETAIL_LIMIT = 200


@login_required
def quality(request: HttpRequest) -> HttpResponse:
    """Per village in the user's scope, the findings of each check; one village in detail."""
    if not request.user.has_perm(QUALITY_PERMISSION):
        raise PermissionDenied
    as_of = timezone.localdate()
    village = None
    details = []
    if request.GET.get("village"):
        try:
            village_id = int(request.GET["village"])
        except ValueError:
            village_id = 0
        village = cast(
            Village, get_visible_or_404(request.user, Village.objects.all(), pk=village_id)
        )
        checks = selectors.quality_checks(user=request.user, as_of=as_of, village=village)
        for check in selectors.CHECKS:
            rows = list(checks[check.key][:DETAIL_LIMIT])
            for row in rows:
                if hasattr(row, "id_number"):
                    row.shown_id = mask_id(request.user, row.id_number)
            details.append({"check": check, "rows": rows, "kind": check.key})
    return render(
        request,
        "households/quality.html",
        {
            "as_of": as_of,
            "checks": selectors.CHECKS,
            "villages": selectors.quality_summary(user=request.user, as_of=as_of),
            "village": village,
            "details": details,
            "limit": DETAIL_LIMIT,
        },
    )
