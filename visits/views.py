"""Quick entry for pairing cadres: their households, the last contacts, a visit in a few taps."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Cadre
from households.models import Household
from visits.forms import VisitForm
from visits.models import Visit
from visits.services import problem_report, visit_record
from xigang.scope import get_visible_or_404, visible


def _my_cadre(request: HttpRequest) -> Cadre | None:
    return Cadre.objects.filter(user=cast(User, request.user)).first()  # signed in: a User


def paired_households(user: User | AnonymousUser, cadre: Cadre | None) -> QuerySet[Household]:
    """The households this cadre is paired with today, within the user's scope."""
    if cadre is None:
        return Household.objects.none()
    today = timezone.localdate()
    active = Q(pairings__cadre=cadre, pairings__start__lte=today) & (
        Q(pairings__end__isnull=True) | Q(pairings__end__gte=today)
    )
    return visible(user, Household.objects.filter(active).distinct())


@login_required
def my_households(request: HttpRequest) -> HttpResponse:
    cadre = _my_cadre(request)
    # One query: the households with their last home visit and last phone call.
    households = (
        paired_households(request.user, cadre)
        .select_related("village")
        .annotate(
            last_home=Max("visits__on", filter=Q(visits__kind=Visit.Kind.HOME)),
            last_phone=Max("visits__on", filter=Q(visits__kind=Visit.Kind.PHONE)),
        )
        .order_by("village__name", "number")
    )
    return render(
        request,
        "visits/my_households.html",
        {"households": households, "cadre": cadre, "today": timezone.localdate()},
    )


@login_required
def visit_new(request: HttpRequest, household_id: int) -> HttpResponse:
    cadre = _my_cadre(request)
    household = cast(
        Household,
        get_visible_or_404(
            request.user,
            paired_households(request.user, cadre).select_related("village"),
            pk=household_id,
        ),
    )
    if cadre is None:  # unreachable: with no cadre there is no paired household
        raise Http404
    if not request.user.has_perm("visits.add_visit"):
        raise PermissionDenied
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                visit = visit_record(
                    household=household,
                    cadre=cadre,
                    kind=data["kind"],
                    on=data["on"],
                    content=data["content"],
                    problems_found=data["problems_found"],
                    entered_by=cast(User, request.user),
                )
                if data["category"]:
                    problem_report(
                        household=household,
                        category=data["category"],
                        description=data["problems_found"],
                        found_on=data["on"],
                        visit=visit,
                        reported_by=cadre,
                        entered_by=cast(User, request.user),
                    )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            text = _("%(kind)s with household %(number)s on %(date)s recorded") % {
                "kind": visit.get_kind_display(),
                "number": household.number,
                "date": visit.on.isoformat(),
            }
            if data["category"]:
                text += _("; the problem is routed to %(department)s") % {
                    "department": data["category"].department.name
                }
            messages.success(request, text)
            return redirect("visits:my_households")
    return render(request, "visits/visit_form.html", {"form": form, "household": household})
