"""Quick entry for pairing cadres: their households, the last contacts, a visit in a few taps."""

from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duties.models import Cadre
from households.models import Household
from visits.forms import VisitForm
from visits.models import Visit
from visits.selectors import cadre_households, paired_households
from visits.services import problem_report, visit_record
from xigang.forms import add_errors
from xigang.scope import get_visible_or_404


def _my_cadre(request: HttpRequest) -> Cadre | None:
    return Cadre.objects.filter(user=cast(User, request.user)).first()  # signed in: a User


@login_required
def my_households(request: HttpRequest) -> HttpResponse:
    """A pairing cadre's home: their households, what each owes and why, worst first."""
    cadre = _my_cadre(request)
    today = timezone.localdate()
    lines = cadre_households(user=request.user, cadre=cadre, as_of=today)
    for line in lines:
        if line.household is None:
            continue  # no longer paired: nothing to record there
        url = reverse("visits:visit_new", args=[line.household.pk])
        line.entry_url = f"{url}?{urlencode({'kind': line.kind_owed})}" if line.kind_owed else url
    return render(
        request,
        "visits/my_households.html",
        {
            "lines": lines,
            "cadre": cadre,
            "today": today,
            "any_overdue": any(line.overdue for line in lines),
            "saved": request.GET.get("saved", ""),
        },
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
    # The kind owed, from the home screen's link: preselected, as is today's date.
    kind = request.GET.get("kind")
    initial = {"kind": kind} if kind in Visit.Kind.values else {}
    form = VisitForm(request.POST or None, initial=initial)
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
                    reports_change=data["reports_change"],
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
            add_errors(form, exc)
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
            if visit.late_entry:  # it meets its period, marked for inspectors: say so now
                text += _("; entered late, it is marked 补录")
            messages.success(request, text)
            # Back home, at the household's line, already showing what the visit met.
            home = reverse("visits:my_households")
            return redirect(f"{home}?saved={household.pk}#hh-{household.pk}")
    return render(request, "visits/visit_form.html", {"form": form, "household": household})
