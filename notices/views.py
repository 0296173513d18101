"""Each person's messages (消息), digests and notice settings: their own rows only."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notices import services
from notices.forms import ConfirmForm, PreferenceForm
from notices.models import Digest, Notice
from xigang.scope import get_visible_or_404, visible

PAGE = 50


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)  # login_required: a User


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    mine = visible(request.user, Notice.objects.filter(user=_me(request)))
    page = Paginator(mine, PAGE).get_page(request.GET.get("page"))
    return render(request, "notices/list.html", {"page": page})


@login_required
@require_POST
def notice_read(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = get_visible_or_404(
        request.user, Notice.objects.filter(user=_me(request)), pk=notice_id
    )
    services.mark_read(user=_me(request), notice_id=notice.pk)
    target = notice.link if request.POST.get("open") else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notices:list")


@login_required
@require_POST
def notice_read_all(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(user=_me(request))
    messages.success(request, _("%(n)d messages marked read.") % {"n": count})
    return redirect("notices:list")


@login_required
def digest_detail(request: HttpRequest, digest_id: int) -> HttpResponse:
    digest = get_visible_or_404(
        request.user, Digest.objects.filter(user=_me(request)), pk=digest_id
    )
    return render(
        request, "notices/digest.html", {"digest": digest, "lines": list(digest.lines.all())}
    )


@login_required
def preference(request: HttpRequest) -> HttpResponse:
    current = services.preference_of(_me(request))
    form = PreferenceForm(
        initial={
            "by_email": current.by_email,
            "by_sms": current.by_sms,
            "digest_weekday": current.digest_weekday,
            "email": current.email,
        }
    )
    confirm = ConfirmForm()
    if request.method == "POST" and "code" in request.POST:
        confirm = ConfirmForm(request.POST)
        if confirm.is_valid():
            try:
                services.email_confirm(user=_me(request), code=confirm.cleaned_data["code"])
            except ValidationError as exc:
                confirm.add_error(None, exc.messages[0])
            else:
                messages.success(request, _("Your e-mail address is confirmed."))
                return redirect("notices:preference")
    elif request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            try:
                saved = services.preference_save(user=_me(request), **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                if saved.code_hash:
                    messages.info(
                        request,
                        _("A confirmation code was sent to %(email)s.") % {"email": saved.email},
                    )
                else:
                    messages.success(request, _("Your notice settings are saved."))
                return redirect("notices:preference")
    return render(
        request,
        "notices/preference.html",
        {"form": form, "confirm": confirm, "preference": current},
    )
