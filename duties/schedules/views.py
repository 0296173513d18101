"""Scheduled duties in the portal: my obligations, completing one with evidence, waiving one,
recording the event behind an on-event duty, and downloading evidence. Every row comes through
xigang.scope: out of scope answers 404 like a missing row; in scope without the permission to
write answers 403."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duties.models import Disclosure, Duty, Evidence, Obligation, Village
from duties.schedules.forms import CompleteForm, DisclosureForm, EventForm, WaiveForm
from duties.schedules.generation import ensure_generated
from duties.schedules.records import records_meeting
from duties.schedules.rules import overdue_q
from duties.schedules.selectors import EMERGENCY_DUTY, event_duties, recent_events
from duties.schedules.services import (
    disclosure_record,
    obligation_complete,
    obligation_open_for_event,
    obligation_waive,
)
from xigang.admin import row_version
from xigang.forms import add_errors
from xigang.overdue_query import default_since
from xigang.scope import can_write, get_visible_or_404, units_in_reach, visible

PAGE_SIZE = 50
STATUS_FILTERS = ("overdue", "open", "done", "waived", "all")


def _obligations(user: User | AnonymousUser) -> QuerySet[Obligation]:
    return visible(user, Obligation.objects.all()).select_related(
        "duty", "schedule", "department", "village", "completed_by", "waived_by"
    )


def _obligation_or_404(request: HttpRequest, pk: int) -> Obligation:
    if not request.user.has_perm("duties.view_obligation"):
        raise Http404
    return get_visible_or_404(request.user, _obligations(request.user), pk=pk)


@login_required
def obligation_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("duties.view_obligation"):
        raise PermissionDenied
    today = timezone.localdate()
    ensure_generated(through=today)
    status = request.GET.get("status", "open")
    if status not in STATUS_FILTERS:
        status = "open"
    # "Overdue" means what the dashboard counts: one window for the whole portal.
    since = default_since(today)
    late = overdue_q(as_of=today, since=since)
    rows = _obligations(request.user).filter(period_start__lte=today)
    overdue_count = rows.filter(late).count()
    if status == "overdue":
        rows = rows.filter(late)
    elif status != "all":
        rows = rows.filter(status=status)
    rows = rows.annotate(overdue=ExpressionWrapper(late, output_field=BooleanField()))
    rows = rows.order_by("due", "duty__article_id", "duty__clause", "id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "duties/obligation_list.html",
        {
            "page": page,
            # the permission alone (no query): the page says when none of the units has one
            "can_record_event": request.user.has_perm("duties.record_event_obligation"),
            "page_query": f"status={status}&",
            "status": status,
            "statuses": STATUS_FILTERS,
            "today": today,
            "since": since,
            "overdue_count": overdue_count,
        },
    )


@login_required
def obligation_complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    obligation = _obligation_or_404(request, pk)
    can_complete = request.user.has_perm("duties.change_obligation") and request.user.has_perm(
        "duties.add_evidence"
    )
    can_waive = request.user.has_perm("duties.waive_obligation")
    form = CompleteForm()
    if request.method == "POST":
        if not (can_complete and can_write(request.user, obligation)):
            raise PermissionDenied
        form = CompleteForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                obligation_complete(
                    obligation=obligation,
                    user=cast(User, request.user),
                    note=form.cleaned_data["note"],
                    files=form.cleaned_data["files"],
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Marked as done."))
                return redirect("duties:obligation_complete", pk=obligation.pk)
    is_open = obligation.status == Obligation.Status.OPEN
    return _detail(
        request,
        obligation,
        form=form,
        waive_form=WaiveForm(),
        can_complete=can_complete and is_open,
        can_waive=can_waive and is_open,
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def obligation_waive_view(request: HttpRequest, pk: int) -> HttpResponse:
    obligation = _obligation_or_404(request, pk)
    if not (
        request.user.has_perm("duties.waive_obligation") and can_write(request.user, obligation)
    ):
        raise PermissionDenied
    form = WaiveForm(request.POST)
    if form.is_valid():
        try:
            obligation_waive(
                obligation=obligation,
                user=cast(User, request.user),
                reason=form.cleaned_data["waived_reason"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Waived."))
            return redirect("duties:obligation_complete", pk=obligation.pk)
    return _detail(
        request,
        obligation,
        form=CompleteForm(),
        waive_form=form,
        can_complete=False,
        can_waive=obligation.status == Obligation.Status.OPEN,
        status=400,
    )


def _detail(
    request: HttpRequest,
    obligation: Obligation,
    *,
    form: CompleteForm,
    waive_form: WaiveForm,
    can_complete: bool,
    can_waive: bool,
    status: int,
) -> HttpResponse:
    """The obligation's page with its evidence and both forms, as completing or waiving left them."""
    return render(
        request,
        "duties/obligation_detail.html",
        {
            "obligation": obligation,
            "evidence": list(obligation.evidence.select_related("uploaded_by")),
            "records": records_meeting(obligation, request.user),
            "form": form,
            "waive_form": waive_form,
            "can_complete": can_complete,
            "can_waive": can_waive,
            "today": timezone.localdate(),
        },
        status=status,
    )


def _unit_out_of_reach(user: User | AnonymousUser, key: str | None) -> bool:
    """A posted unit ("department-ID", "village-ID") that is not in the user's reach."""
    kind, _sep, pk = (key or "").partition("-")
    if kind not in ("department", "village") or not pk.isdigit():
        return False  # not a unit at all: the form says so
    departments, villages = units_in_reach(user)
    return not (departments if kind == "department" else villages).filter(pk=int(pk)).exists()


@login_required
def event_record(request: HttpRequest) -> HttpResponse:
    """Record the event behind an on-event duty (e.g. 5.3, 15.3): the service opens its
    obligation and the user lands on it, to complete it with evidence like any other. A unit
    outside the user's reach answers 403 and writes nothing."""
    if not request.user.has_perm("duties.record_event_obligation"):
        raise PermissionDenied
    if request.method == "POST" and _unit_out_of_reach(request.user, request.POST.get("unit")):
        raise PermissionDenied
    today = timezone.localdate()
    duties = event_duties(user=request.user, on=today)
    departments = sorted(
        {d.department for d in duties if d.level == Duty.Level.TOWN and d.department},
        key=lambda d: (d.order, d.name),
    )
    villages = []
    if any(d.level == Duty.Level.VILLAGE for d in duties):
        villages = list(units_in_reach(request.user)[1])
    form = EventForm(
        request.POST if request.method == "POST" else None,
        duties=duties,
        departments=departments,
        villages=villages,
        today=today,
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            obligation = obligation_open_for_event(
                duty=data["duty"],
                event_on=data["event_on"],
                department=data["department"],
                village=data["village"],
                description=data["description"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "The event is recorded. Its obligation is due on %(due)s: complete it here "
                    "with evidence."
                )
                % {"due": obligation.due.isoformat()},
            )
            return redirect("duties:obligation_complete", pk=obligation.pk)
    return render(
        request,
        "duties/event_form.html",
        {
            "form": form,
            "duties": duties,
            "emergency_listed": any((d.article_id, d.clause) == EMERGENCY_DUTY for d in duties),
            "recent": recent_events(user=request.user),
            "today": today,
        },
        status=400 if form.errors else 200,
    )


@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """The only way an evidence file leaves the server: in the user's scope, as an attachment."""
    if not request.user.has_perm("duties.view_evidence"):
        raise Http404
    evidence = get_visible_or_404(request.user, Evidence.objects.all(), pk=pk)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- 公示 (art. 35) ------------------------------------------------------------------------


@login_required
def disclosure_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("duties.view_disclosure"):
        raise PermissionDenied
    rows = (
        visible(request.user, Disclosure.objects.all())
        .select_related("village")
        .prefetch_related("evidence")
        .order_by("-posted_from", "id")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "duties/disclosure_list.html",
        {"page": page, "can_add": request.user.has_perm("duties.add_disclosure")},
    )


@login_required
def disclosure_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Record a 公示, or (pk) update it: its last day once taken down, more photos."""
    disclosure = None
    if pk is not None:
        if not request.user.has_perm("duties.view_disclosure"):
            raise Http404
        disclosure = get_visible_or_404(request.user, Disclosure.objects.all(), pk=pk)
        needed = "duties.change_disclosure"
    else:
        needed = "duties.add_disclosure"
    if not request.user.has_perm(needed):
        raise PermissionDenied
    if disclosure is not None and not can_write(request.user, disclosure):
        raise PermissionDenied  # read but not kept by the user: 403, like the admin
    villages = visible(request.user, Village.objects.all())
    initial = {}
    if disclosure is not None:
        initial = {
            "village": disclosure.village,
            "kind": disclosure.kind,
            "title": disclosure.title,
            "posted_from": disclosure.posted_from,
            "posted_until": disclosure.posted_until,
        }
    form = DisclosureForm(initial=initial, villages=villages)
    if request.method == "POST":
        form = DisclosureForm(request.POST, request.FILES, villages=villages)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = disclosure_record(
                    disclosure=disclosure,
                    village=data["village"],
                    kind=data["kind"],
                    title=data["title"],
                    posted_from=data["posted_from"],
                    posted_until=data["posted_until"],
                    user=cast(User, request.user),
                    photos=data["photos"],
                    taken_down_photos=data["taken_down_photos"],
                    version=request.POST.get("_row_version", ""),
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("The public notice is recorded."))
                return redirect("duties:disclosure_edit", pk=saved.pk)
    return render(
        request,
        "duties/disclosure_form.html",
        {
            "form": form,
            "disclosure": disclosure,
            "photos": list(disclosure.evidence.select_related("uploaded_by")) if disclosure else [],
            # the row as it is now: a save refused as stale may be repeated knowingly
            "row_version": row_version(disclosure) if disclosure else "",
        },
        status=400 if form.errors else 200,
    )
