"""一户一策 on the phone (art. 34): start a plan, record its steps, add a measure, mark a measure
carried out with its evidence. Each form writes through `households.plans`; the rows are taken
from the user's write scope (out of scope answers 404 like a missing row)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from households import plans
from households.forms import DeliveryForm, MeasureForm, PlanForm, PlanStepForm
from households.models import HelpMeasure, HelpPlan, Household
from xigang.forms import add_errors
from xigang.scope import writable


def _writable_or_404(request: HttpRequest, permission: str, queryset: QuerySet, **lookup: Any):
    if not request.user.has_perm(permission):
        raise PermissionDenied
    try:
        return writable(request.user, queryset).get(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def _form_page(
    request: HttpRequest,
    form: forms.Form,
    *,
    title: str,
    number: str,
    save: Callable[[dict[str, Any]], Model],
    done: str,
) -> HttpResponse:
    """Show the form; on a valid POST write through `save`, then back to the household's plan.
    A service's refusal shows beside the fields, nothing written."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(reverse("dashboard:household", args=[number]) + "#plans")
    context = {"form": form, "title": title, "number": number}
    return render(request, "households/plan_form.html", context)


@login_required
def plan_new(request: HttpRequest, number: str) -> HttpResponse:
    household = _writable_or_404(
        request, "households.add_helpplan", Household.objects.all(), number=number
    )
    form = PlanForm(request.POST or None, initial={"year": timezone.localdate().year})
    return _form_page(
        request,
        form,
        title=_("New help plan of %(number)s") % {"number": number},
        number=number,
        save=lambda data: plans.plan_start(
            household=household, year=data["year"], summary=data["summary"]
        ),
        done=_("the help plan is started"),
    )


@login_required
def plan_step(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _writable_or_404(
        request, "households.change_helpplan", HelpPlan.objects.select_related("household"), pk=pk
    )
    form = PlanStepForm(request.POST or None, initial={"step": plans.next_step(plan)})
    return _form_page(
        request,
        form,
        title=_("A step of the %(year)d plan of %(number)s")
        % {"year": plan.year, "number": plan.household.number},
        number=plan.household.number,
        save=lambda data: plans.plan_step_record(
            plan=plan,
            step=data["step"],
            done_on=data["done_on"],
            note=data["note"],
            by=cast(User, request.user),
        ),
        done=_("the step is recorded"),
    )


@login_required
def measure_new(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _writable_or_404(
        request, "households.add_helpmeasure", HelpPlan.objects.select_related("household"), pk=pk
    )
    form = MeasureForm(request.POST or None)
    return _form_page(
        request,
        form,
        title=_("A measure of the %(year)d plan of %(number)s")
        % {"year": plan.year, "number": plan.household.number},
        number=plan.household.number,
        save=lambda data: plans.measure_add(plan=plan, **data),
        done=_("the measure is added"),
    )


@login_required
def measure_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    measure = _writable_or_404(
        request,
        "households.change_helpmeasure",
        HelpMeasure.objects.select_related("plan__household"),
        pk=pk,
    )
    form = DeliveryForm(request.POST or None, request.FILES or None)
    number = measure.plan.household.number
    return _form_page(
        request,
        form,
        title=_("%(kind)s for %(number)s carried out") % {"kind": measure.kind, "number": number},
        number=number,
        save=lambda data: plans.measure_deliver(
            measure=measure, by=cast(User, request.user), **data
        ),
        done=_("the measure is marked carried out"),
    )
