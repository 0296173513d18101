"""Request-level security (docs/security.md): who acts (history), session limits, password age,
the second factor, and no-store on signed-in pages."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from xigang import history, roles

LOGIN_AT = "xigang_login_at"
SEEN_AT = "xigang_seen_at"  # when the idle clock was last moved on (the session saved)
PASSWORD_OK = "xigang_password_ok"  # (hash tail, expires at): the password age, checked once

# Paths a signed-in user may reach while their password is expired or their second factor is
# not verified yet: signing out, the language switch, static files and the pages that fix it.
_ALWAYS_OPEN = ("/static/", "/i18n/", "/accounts/logout/")


def _open(request: HttpRequest, *names: str) -> bool:
    path = request.path_info
    return path.startswith(_ALWAYS_OPEN) or any(path == reverse(name) for name in names)


class ActorMiddleware:
    """Entries of the change history written during a request name its user; a page that showed
    full ID numbers is recorded once, after the view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = "admin" if request.path_info.startswith("/admin/") else "form"
        with history.acting(request.user, source) as ctx:
            response = self.get_response(request)
            if ctx.full_id_read and response.status_code < 400:
                history.record(
                    "read",
                    model="households.id_number",
                    object_repr=request.get_full_path()[:200],
                    new={"method": request.method},
                )
        return response


def start_session_clock(
    sender: type[User], request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    """user_logged_in: the absolute 8 hours count from here."""
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = time.time()


class SessionLimitsMiddleware:
    """A session ends 8 hours after sign-in, however active, and after SESSION_COOKIE_AGE
    idle: saving it moves its expiry on, done here at most once per SESSION_IDLE_SAVE_SECONDS
    (a database write per page would cost every page a commit)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(LOGIN_AT)
            if now - request.session.get(SEEN_AT, 0) >= settings.SESSION_IDLE_SAVE_SECONDS:
                request.session[SEEN_AT] = now
            if started is None:
                request.session[LOGIN_AT] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(request, _("Your session has ended after 8 hours; sign in again."))
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class PasswordAgeMiddleware:
    """A password older than PASSWORD_MAX_AGE_DAYS (90) must be changed before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.has_usable_password():
            if self._expired(request, user) and not _open(
                request, "password_change", "password_change_done"
            ):
                messages.warning(
                    request,
                    _("Your password is more than %(n)d days old; please set a new one.")
                    % {"n": settings.PASSWORD_MAX_AGE_DAYS},
                )
                return redirect("password_change")
        return self.get_response(request)

    @staticmethod
    def _expired(request: HttpRequest, user: User) -> bool:
        from xigang.security.passwords import password_set_at

        tail = user.password[-16:]
        cached = request.session.get(PASSWORD_OK)
        if not cached or cached[0] != tail:  # first request, or the password has changed
            max_age = settings.PASSWORD_MAX_AGE_DAYS * 86400
            expires = password_set_at(user).timestamp() + max_age
            cached = [tail, expires]
            request.session[PASSWORD_OK] = cached
        return time.time() > cached[1]


def needs_second_factor(user: User | AnonymousUser) -> bool:
    """Those who administer users (the three posts, superusers) and 扶贫办."""
    if user.is_superuser:
        return True
    from xigang.scope import scope_of

    held = scope_of(user).roles
    return bool(held & {roles.OFFICE, *roles.ADMIN_POSTS})


class SecondFactorMiddleware:
    """Until a one-time password has been verified in this session, such users reach only the
    pages that set up or verify it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.OTP_REQUIRED
            and user.is_authenticated
            and not user.is_verified()  # type: ignore[attr-defined]  # set by django-otp's middleware
            and needs_second_factor(user)
            and not _open(request, "otp_setup", "otp_verify")
        ):
            return redirect_to_login(request.get_full_path(), reverse("otp_verify"))
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages for a signed-in user carry personal data: no browser or proxy may keep them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True, max_age=0)
        return response
