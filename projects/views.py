"""The project and asset registers (arts. 10, 33, 35): lists with filters, a page per record
with its 公示, acceptance and 收益分配 forms. Out of scope answers 404; in scope without the
right to write, 403 on POST."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Model, Prefetch
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from projects import selectors, services
from projects.forms import (
    AcceptanceForm,
    AssetFilters,
    DistributionForm,
    DistributionNoticeForm,
    NoticeForm,
    ProjectFilters,
)
from projects.models import Asset, Notice, Project
from xigang.forms import add_errors
from xigang.scope import can_write, get_visible_or_404, visible

PAGE_SIZE = 50
FIRST_YEAR = 2019  # the regulation's first year


def _years() -> list[int]:
    return list(range(timezone.localdate().year, FIRST_YEAR - 1, -1))


def _listing(request: HttpRequest, filters_class: type, select: Any, template: str) -> HttpResponse:
    form = filters_class(
        request.GET or None, villages=selectors.filter_villages(request.user), years=_years()
    )
    chosen = form.cleaned_data if form.is_valid() else {}
    rows = select(user=request.user, filters=chosen)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {"form": form, "page": page, "page_query": query.urlencode() + "&" if query else ""},
    )


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("projects.view_project"):
        raise PermissionDenied
    return _listing(request, ProjectFilters, selectors.project_list, "projects/project_list.html")


@login_required
def asset_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("projects.view_asset"):
        raise PermissionDenied
    return _listing(request, AssetFilters, selectors.asset_list, "projects/asset_list.html")


def _writable_or_403(request: HttpRequest, obj: Model, perm: str) -> None:
    if not (request.user.has_perm(perm) and can_write(request.user, obj)):
        raise PermissionDenied


def _save(request: HttpRequest, form: Form, write: Any) -> bool:
    """Call the service with the form's data; its refusal goes on the form, nothing saved."""
    if not form.is_valid():
        return False
    try:
        with transaction.atomic():
            write(form.cleaned_data)
    except ValidationError as exc:
        add_errors(form, exc)
        return False
    messages.success(request, _("Saved."))
    return True


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("projects.view_project"):
        raise Http404
    project = get_visible_or_404(
        request.user,
        Project.objects.select_related("village", "department", "accepted_by"),
        pk=pk,
    )
    user = cast(User, request.user)
    notice_form, accept_form = NoticeForm(), AcceptanceForm()
    if request.method == "POST":
        if request.POST.get("action") == "accept":
            _writable_or_403(request, project, "projects.accept_project")
            accept_form = AcceptanceForm(request.POST)
            saved = _save(
                request,
                accept_form,
                lambda d: services.project_accept(
                    project=project, user=user, accepted_on=d["accepted_on"], note=d["note"]
                ),
            )
        else:
            _writable_or_403(request, project, "projects.add_notice")
            notice_form = NoticeForm(request.POST, request.FILES)
            saved = _save(
                request,
                notice_form,
                lambda d: services.notice_add(
                    upload=d["file"],
                    user=user,
                    stage=d["stage"],
                    posted_on=d["posted_on"],
                    project=project,
                ),
            )
        if saved:
            return redirect("projects:project_detail", pk=project.pk)
    writable = can_write(request.user, project)
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "funds": list(project.funds.all()),
            "notices": list(project.notices.select_related("uploaded_by")),
            "assets": list(visible(request.user, project.assets.all())),
            "notice_form": notice_form,
            "accept_form": accept_form,
            "can_notice": writable and request.user.has_perm("projects.add_notice"),
            "can_accept": writable
            and project.finished_on is not None
            and project.accepted_on is None
            and request.user.has_perm("projects.accept_project"),
        },
        status=400 if notice_form.errors or accept_form.errors else 200,
    )


@login_required
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("projects.view_asset"):
        raise Http404
    asset = get_visible_or_404(
        request.user, Asset.objects.select_related("village", "manager", "project"), pk=pk
    )
    user = cast(User, request.user)
    distributions = asset.distributions.prefetch_related(
        Prefetch("notices", queryset=Notice.objects.select_related("uploaded_by"))
    ).select_related("recorded_by")
    form = DistributionForm()
    choices = asset.distributions.all()  # the form's choices: no notices needed
    notice_form = DistributionNoticeForm(distributions=choices)
    if request.method == "POST":
        _writable_or_403(request, asset, "projects.add_distribution")
        if request.POST.get("action") == "notice":
            notice_form = DistributionNoticeForm(request.POST, request.FILES, distributions=choices)
            saved = _save(
                request,
                notice_form,
                lambda d: services.notice_add(
                    upload=d["notice"],
                    user=user,
                    stage=Notice.Stage.DISTRIBUTION,
                    posted_on=d["posted_on"],
                    distribution=d["distribution"],
                ),
            )
        else:
            form = DistributionForm(request.POST, request.FILES)
            saved = _save(
                request,
                form,
                lambda d: services.distribution_record(asset=asset, user=user, **d),
            )
        if saved:
            return redirect("projects:asset_detail", pk=asset.pk)
    return render(
        request,
        "projects/asset_detail.html",
        {
            "asset": asset,
            "distributions": list(distributions),
            "form": form,
            "notice_form": notice_form,
            "can_write": can_write(request.user, asset)
            and request.user.has_perm("projects.add_distribution"),
        },
        status=400 if form.errors or notice_form.errors else 200,
    )


@login_required
def notice_download(request: HttpRequest, pk: int) -> FileResponse:
    """A 公示 file leaves the server only here: in the user's scope, as an attachment."""
    if not request.user.has_perm("projects.view_notice"):
        raise Http404
    notice = get_visible_or_404(request.user, Notice.objects.all(), pk=pk)
    try:
        handle = notice.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=notice.original_name, content_type=notice.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
