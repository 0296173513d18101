"""Oversight in the portal: the inspectors' 疑点 signals, spot checks with the household's
answers on a phone, and a finding's page (report, extension, 整改销号). Rows come through
xigang.scope: out of scope answers 404 like a missing row; in scope without the right to
write, 403."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from duties.models import Department
from oversight import forms as oforms
from oversight.models import Finding, FirstSecretary, Signal, SpotCheck, SpotCheckAnswer
from oversight.services import (
    accountability_record,
    finding_extend,
    finding_rectify,
    finding_report,
    first_secretary_check_record,
    signal_dismiss,
    signal_open_finding,
)
from oversight.spot_checks import (
    CHECKING_UNITS,
    MISMATCH_LABELS,
    spot_check_answer,
    spot_check_draw,
)
from visits.models import Visit
from xigang.forms import add_errors
from xigang.scope import can_write, get_visible_or_404, visible

PAGE_SIZE = 50


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise Http404  # without the right to read, the page is not there


def _write(request: HttpRequest, perm: str, obj: Any) -> None:
    if not (request.user.has_perm(perm) and can_write(request.user, obj)):
        raise PermissionDenied


# --- signals ----------------------------------------------------------------------------------


@login_required
def signal_list(request: HttpRequest) -> HttpResponse:
    _need(request, "oversight.view_signal")
    status = request.GET.get("status", Signal.Status.OPEN)
    kind = request.GET.get("kind", "")
    rows = visible(request.user, Signal.objects.all()).select_related("cadre", "village")
    if status in Signal.Status.values:
        rows = rows.filter(status=status)
    if kind in Signal.Kind.values:
        rows = rows.filter(kind=kind)
    page = Paginator(rows.order_by("-score", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "oversight/signal_list.html",
        {
            "page": page,
            "status": status,
            "kind": kind,
            "statuses": Signal.Status.choices,
            "kinds": Signal.Kind.choices,
            "page_query": f"status={status}&kind={kind}&",
        },
    )


def _evidence_rows(evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The evidence items with their visits read in one query."""
    ids = {v for item in evidence for v in item.get("visits", [])}
    visits = Visit.objects.filter(pk__in=ids).select_related("household", "cadre")
    by_id = {v.pk: v for v in visits}
    return [
        {
            **item,
            "label": MISMATCH_LABELS.get(item.get("item", "")),
            "visit_rows": [by_id[v] for v in item.get("visits", []) if v in by_id],
        }
        for item in evidence
    ]


@login_required
def signal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "oversight.view_signal")
    signal = get_visible_or_404(
        request.user, Signal.objects.select_related("cadre", "village", "finding"), pk=pk
    )
    dismiss, open_finding = oforms.DismissForm(), oforms.OpenFindingForm()
    if request.method == "POST":
        _write(request, "oversight.change_signal", signal)
        user = cast(User, request.user)
        try:
            if request.POST.get("action") == "dismiss":
                dismiss = oforms.DismissForm(request.POST)
                if dismiss.is_valid():
                    signal_dismiss(signal=signal, reason=dismiss.cleaned_data["reason"], user=user)
                    return redirect("oversight:signal_detail", pk=signal.pk)
            else:
                _write(request, "oversight.add_finding", signal)
                open_finding = oforms.OpenFindingForm(request.POST)
                if open_finding.is_valid():
                    finding = signal_open_finding(
                        signal=signal, user=user, **open_finding.cleaned_data
                    )
                    return redirect("oversight:finding_detail", pk=finding.pk)
        except ValidationError as exc:
            add_errors(dismiss if request.POST.get("action") == "dismiss" else open_finding, exc)
    return render(
        request,
        "oversight/signal_detail.html",
        {
            "signal": signal,
            "evidence": _evidence_rows(signal.evidence),
            "dismiss": dismiss,
            "open_finding": open_finding,
            "can_handle": signal.status == Signal.Status.OPEN
            and request.user.has_perm("oversight.change_signal"),
        },
    )


# --- spot checks ------------------------------------------------------------------------------


def _checking_unit(request: HttpRequest) -> Department | None:
    """The unit a user draws for: the department of their cadre record, when it is one of
    the checking units and the user may draw."""
    if not request.user.has_perm("oversight.add_spotcheck"):
        return None
    cadre = getattr(request.user, "cadre", None)
    unit = cadre.department if cadre is not None else None
    if unit is None or unit.name not in CHECKING_UNITS:
        return None
    return unit


@login_required
def spot_check_list(request: HttpRequest) -> HttpResponse:
    _need(request, "oversight.view_spotcheck")
    form = oforms.DrawForm()
    if request.method == "POST":
        unit = _checking_unit(request)
        if unit is None:
            raise PermissionDenied
        form = oforms.DrawForm(request.POST)
        if form.is_valid():
            try:
                check = spot_check_draw(
                    department=unit, user=cast(User, request.user), **form.cleaned_data
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                return redirect("oversight:spot_check_detail", pk=check.pk)
    rows = visible(request.user, SpotCheck.objects.all()).select_related(
        "department", "village", "cadre"
    )
    page = Paginator(rows.order_by("-drawn_on", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "oversight/spot_check_list.html",
        {"page": page, "form": form, "can_draw": _checking_unit(request) is not None},
    )


@login_required
@require_safe
def spot_check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "oversight.view_spotcheck")
    check = get_visible_or_404(
        request.user, SpotCheck.objects.select_related("department", "village", "cadre"), pk=pk
    )
    answers = check.answers.select_related("household").order_by("position")
    return render(request, "oversight/spot_check_detail.html", {"check": check, "answers": answers})


@login_required
def spot_check_answer_view(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "oversight.view_spotcheckanswer")
    answer = get_visible_or_404(
        request.user,
        SpotCheckAnswer.objects.select_related("spot_check", "household__village"),
        pk=pk,
    )
    form = oforms.AnswerForm()
    if request.method == "POST":
        _write(request, "oversight.change_spotcheckanswer", answer)
        form = oforms.AnswerForm(request.POST)
        if form.is_valid():
            try:
                spot_check_answer(answer=answer, user=cast(User, request.user), **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("oversight:spot_check_detail", pk=answer.spot_check_id)
    mismatches = [
        {**m, "label": MISMATCH_LABELS.get(m["item"], m["item"])} for m in answer.mismatches
    ]
    return render(
        request,
        "oversight/spot_check_answer.html",
        {"answer": answer, "form": form, "mismatches": mismatches},
    )


# --- findings ---------------------------------------------------------------------------------


def _findings(request: HttpRequest) -> QuerySet[Finding]:
    return visible(request.user, Finding.objects.all()).select_related(
        "inspection", "article", "department", "village", "cadre", "reported_by", "rectified_by"
    )


@login_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "oversight.view_finding")
    finding = get_visible_or_404(request.user, _findings(request), pk=pk)
    report: Form = oforms.ReportForm()
    extend: Form = oforms.ExtendForm()
    close: Form = oforms.CloseForm()
    measure: Form = oforms.AccountabilityForm()
    inspector = request.user.has_perm("oversight.change_finding")
    reporter = request.user.has_perm("oversight.report_finding")
    if request.method == "POST":
        action = request.POST.get("action", "report")
        allowed = {
            "extend": inspector,
            "close": inspector,
            "measure": request.user.has_perm("oversight.add_accountability"),
        }.get(action, reporter)
        if not (allowed and can_write(request.user, finding)):
            raise PermissionDenied
        user = cast(User, request.user)
        form: Form = {
            "extend": oforms.ExtendForm,
            "close": oforms.CloseForm,
            "measure": oforms.AccountabilityForm,
        }.get(action, oforms.ReportForm)(request.POST, request.FILES)
        if form.is_valid():
            try:
                if action == "extend":
                    finding_extend(finding=finding, user=user, **form.cleaned_data)
                elif action == "close":
                    finding_rectify(finding=finding, user=user, **form.cleaned_data)
                elif action == "measure":
                    accountability_record(finding=finding, user=user, **form.cleaned_data)
                else:
                    finding_report(finding=finding, user=user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("oversight:finding_detail", pk=finding.pk)
        report, extend, close, measure = (
            form if action == "report" else report,
            form if action == "extend" else extend,
            form if action == "close" else close,
            form if action == "measure" else measure,
        )
    return render(
        request,
        "oversight/finding_detail.html",
        {
            "finding": finding,
            "extensions": finding.extensions.select_related("created_by"),
            "decisions": finding.accountabilities.order_by("decided_on", "id"),
            "measure": measure,
            "can_hold_to_account": request.user.has_perm("oversight.add_accountability"),
            "report": report,
            "extend": extend,
            "close": close,
            "inspector": inspector,
            "reporter": reporter,
            "is_open": finding.rectified_on is None,
        },
    )


# --- the 第一书记 register (art. 5) -----------------------------------------------------------


@login_required
def first_secretary_list(request: HttpRequest) -> HttpResponse:
    _need(request, "oversight.view_firstsecretary")
    rows = visible(request.user, FirstSecretary.objects.all()).select_related("cadre", "village")
    page = Paginator(rows.order_by("village__name", "-started_on", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "oversight/first_secretary_list.html", {"page": page, "page_query": ""})


@login_required
def first_secretary_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, "oversight.view_firstsecretary")
    secretary = get_visible_or_404(
        request.user, FirstSecretary.objects.select_related("cadre", "village", "department"), pk=pk
    )
    form = oforms.FirstSecretaryCheckForm()
    can_record = request.user.has_perm("oversight.add_firstsecretarycheck") and can_write(
        request.user, secretary
    )
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        form = oforms.FirstSecretaryCheckForm(request.POST)
        if form.is_valid():
            try:
                first_secretary_check_record(
                    first_secretary=secretary, user=cast(User, request.user), **form.cleaned_data
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("oversight:first_secretary_detail", pk=secretary.pk)
    return render(
        request,
        "oversight/first_secretary_detail.html",
        {
            "secretary": secretary,
            "checks": secretary.checks.select_related("created_by").order_by("-on", "-id"),
            "form": form,
            "can_record": can_record,
        },
    )
