"""两不愁三保障 in the portal: the phone entry of an assessment, the gaps list, a gap's closing
and its evidence file (art. 38)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from households.assessments import selectors, services
from households.assessments.forms import AssessmentForm, GapCloseForm
from households.assessments.models import AssessmentGap
from households.models import Household
from households.responsibility import ASSESSMENT_DEPARTMENTS
from xigang.forms import add_errors
from xigang.scope import get_visible_or_404, writable

PAGE_SIZE = 50


@login_required
def assessment_new(request: HttpRequest, household_id: int) -> HttpResponse:
    """Assess every item of a household at once (pairing cadre or village, on a phone)."""
    household = cast(
        Household,
        get_visible_or_404(
            request.user, Household.objects.select_related("village"), pk=household_id
        ),
    )
    user = cast(User, request.user)
    if (
        not user.has_perm("households.add_assessment")
        or not writable(user, Household.objects.filter(pk=household.pk)).exists()
    ):
        raise PermissionDenied
    form = AssessmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            found = services.assessment_enter(
                household=household,
                assessed_on=form.cleaned_data["assessed_on"],
                results=form.results(),
                assessed_by=user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            unmet = [
                f"{a.get_item_display()}（{ASSESSMENT_DEPARTMENTS[a.item][0]}）"
                for a in found
                if not a.met
            ]
            text = _("assessment of household %(number)s on %(date)s recorded") % {
                "number": household.number,
                "date": found[0].assessed_on.isoformat(),
            }
            if unmet:
                text += _("; not met, routed to the departments: %(items)s") % {
                    "items": "、".join(str(label) for label in unmet)
                }
            messages.success(request, text)
            if request.GET.get("next") == "home":  # back to the phone home, at the household
                home = reverse("visits:my_households")
                return redirect(f"{home}?saved={household.pk}#hh-{household.pk}")
            return redirect(reverse("dashboard:household", args=[household.number]))
    return render(
        request,
        "households/assessments/assessment_form.html",
        {"form": form, "household": household},
    )


@login_required
def gap_list(request: HttpRequest) -> HttpResponse:
    """The gaps in scope (a department: those routed to it), open first by due day."""
    if not request.user.has_perm("households.view_assessmentgap"):
        raise PermissionDenied
    state = request.GET.get("state", "open")
    if state not in selectors.STATES:
        state = "open"
    # Queries: the count and the page (constant whatever the data size).
    page = Paginator(selectors.gap_list(user=request.user, state=state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "households/assessments/gap_list.html",
        {
            "page": page,
            "state": state,
            "states": [
                ("open", _("open gaps")),
                ("closed", _("closed gaps")),
                ("all", _("all gaps")),
            ],
            "can_close": request.user.has_perm("households.change_assessmentgap"),
        },
    )


@login_required
def gap_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a gap with evidence, once a re-assessment found the item met."""
    gap = cast(
        AssessmentGap,
        get_visible_or_404(
            request.user,
            AssessmentGap.objects.select_related("household__village", "department", "found_by"),
            pk=pk,
        ),
    )
    user = cast(User, request.user)
    if (
        not user.has_perm("households.change_assessmentgap")
        or not writable(user, AssessmentGap.objects.filter(pk=gap.pk)).exists()
    ):
        raise PermissionDenied
    form = GapCloseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.gap_close(
                gap=gap,
                user=user,
                evidence=form.cleaned_data["evidence"],
                upload=form.cleaned_data["upload"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _("the gap 「%(item)s」 of household %(number)s is closed")
                % {"item": gap.get_item_display(), "number": gap.household.number},
            )
            return redirect(reverse("households:gap_list"))
    return render(
        request,
        "households/assessments/gap_close.html",
        {"form": form, "gap": gap, "reassessment": services.reassessment_of(gap)},
    )


@login_required
def gap_evidence(request: HttpRequest, pk: int) -> FileResponse:
    """A closed gap's evidence file, in the user's scope only, as an attachment."""
    if not request.user.has_perm("households.view_assessmentgap"):
        raise Http404
    gap = cast(AssessmentGap, get_visible_or_404(request.user, AssessmentGap.objects.all(), pk=pk))
    if not gap.evidence_file:
        raise Http404
    try:
        handle = gap.evidence_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=gap.evidence_name, content_type=gap.evidence_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
