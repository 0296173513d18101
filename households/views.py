"""The registry in the portal: the households list, a member change, the suggestions of the
household picker and the data-quality page (arts. 32, 37)."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from duties.models import Village
from households import selectors, services
from households.forms import MemberChangeForm
from households.models import Household
from xigang.forms import add_errors
from xigang.scope import get_visible_or_404, mask_id, visible

# Those who keep the registry may correct what the checks find.
QUALITY_PERMISSION = "households.change_member"
DETAIL_LIMIT = 200
PAGE_SIZE = 50


def _whole_number(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 10 else None


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    """The households in scope, searched by number or head's name, by village and status."""
    if not request.user.has_perm("households.view_household"):
        raise PermissionDenied
    text = request.GET.get("q", "").strip()[:50]
    village_id = _whole_number(request.GET.get("village"))
    status = request.GET.get("status", "")
    if status not in Household.Status.values:
        status = ""
    # Queries: the villages in scope, the count, the page (constant whatever the data size).
    villages = list(
        visible(request.user, Village.objects.order_by("name")).values_list("id", "name")
    )
    if village_id not in {pk for pk, _name in villages}:
        village_id = None
    rows = selectors.household_search(
        user=request.user, text=text, village_id=village_id, status=status
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    kept = {"q": text, "village": village_id or "", "status": status}
    return render(
        request,
        "households/household_list.html",
        {
            "page": page,
            "page_query": urlencode({k: v for k, v in kept.items() if v}) + "&",
            "text": text,
            "village_id": village_id,
            "status": status,
            "villages": villages,
            "statuses": Household.Status.choices,
            "can_record_change": request.user.has_perm("households.add_memberchange"),
        },
    )


@login_required
def household_suggestions(request: HttpRequest) -> JsonResponse:
    """The picker's suggestions: households in scope only, by number or head's name."""
    if not request.user.has_perm("households.view_household"):
        raise PermissionDenied
    found = selectors.household_suggestions(user=request.user, text=request.GET.get("q", "")[:50])
    return JsonResponse({"results": [{"value": v, "label": label} for v, label in found]})


@login_required
def member_change_new(request: HttpRequest) -> HttpResponse:
    """Record a member change (新生, 迁入, 死亡, ...) through the one service."""
    if not request.user.has_perm("households.add_memberchange"):
        raise PermissionDenied
    user = cast(User, request.user)
    initial = {"household": request.GET.get("household", "")[:30]}
    form = MemberChangeForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = services.member_change_record(
                household=data["household"],
                kind=data["kind"],
                name=data["name"],
                id_number=data["id_number"],
                happened_on=data["happened_on"],
                reported_on=data["reported_on"],
                reported_by=user,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(kind)s of %(name)s recorded in household %(number)s")
                % {
                    "kind": change.get_kind_display(),
                    "name": change.name,
                    "number": change.household.number,
                },
            )
            return redirect(reverse("dashboard:household", args=[change.household.number]))
    return render(request, "households/member_change_form.html", {"form": form})


@login_required
def quality(request: HttpRequest) -> HttpResponse:
    """Per village in the user's scope, the findings of each check; one village in detail."""
    if not request.user.has_perm(QUALITY_PERMISSION):
        raise PermissionDenied
    as_of = timezone.localdate()
    village = None
    details = []
    if request.GET.get("village"):
        village = cast(
            Village,
            get_visible_or_404(
                request.user,
                Village.objects.all(),
                pk=_whole_number(request.GET["village"]) or 0,
            ),
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
