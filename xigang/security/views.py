"""Account pages: password change (with the 等保 rules), the one-time-password second factor, and
setting one's own password with a one-time code from the 系统管理员."""

from __future__ import annotations

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from xigang.security.codes import access_code_check, access_code_redeem, factor_held
from xigang.security.middleware import needs_second_factor


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "security/password_change.html"
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "security/password_change_done.html"


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("6-digit code from the authenticator app"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return reverse_lazy("home")


def _confirmed(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """First time: a new secret, shown as text and as a QR code drawn here (no internet)."""
    if _confirmed(request.user) is not None:
        return redirect("otp_verify")
    if factor_held(request.user):  # after a reset code: a 安全管理员 must release it
        return render(request, "security/otp_held.html", status=403)
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "default"}
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save()
            otp_login(request, device)
            messages.success(request, _("The second factor is set up."))
            return redirect(_next(request))
        form.add_error("token", _("The code is wrong or has expired; try the next one."))
    secret = device.config_url.split("secret=")[1].split("&")[0]
    qr = segno.make(device.config_url, micro=False).svg_inline(scale=4)
    context = {"form": form, "secret": secret, "qr": mark_safe(qr), "next": _next(request)}
    return render(request, "security/otp_setup.html", context)


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    device = _confirmed(request.user)
    if device is None:
        return redirect(f"{reverse_lazy('otp_setup')}?next={_next(request)}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_is_allowed()[0] and device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            return redirect(_next(request))
        form.add_error("token", _("The code is wrong or has expired; try the next one."))
    return render(request, "security/otp_verify.html", {"form": form, "next": _next(request)})


class AccessCodeForm(forms.Form):
    """The one-time code from the 系统管理员, and the password its holder chooses."""

    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)
    code = forms.CharField(
        label=gettext_lazy("Code from the system administrator"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    new_password1 = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=gettext_lazy("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned["new_password1"] != cleaned["new_password2"]:
            self.add_error("new_password2", _("The two passwords differ."))
            return cleaned
        try:
            self.access_code = access_code_check(username=cleaned["username"], code=cleaned["code"])
        except ValidationError as exc:
            self.add_error("code", exc)
        return cleaned


def access_code(request: HttpRequest) -> HttpResponse:
    """Set one's own password with a one-time code; then, where the role needs a second factor
    and none is set up, set it up before anything else (SecondFactorMiddleware)."""
    form = AccessCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = access_code_redeem(
                code=form.access_code, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            form.add_error("new_password1", exc)
        else:
            auth_login(request, user, backend="xigang.security.backends.RoleMatrixBackend")
            messages.success(request, _("Your password is set."))
            if needs_second_factor(user) and _confirmed(user) is None:
                return redirect("otp_setup")
            return redirect("home")
    return render(request, "security/access_code.html", {"form": form})
