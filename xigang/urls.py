from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from dashboard import views as dashboard_views

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    # Browsers and tools ask /favicon.ico whatever the page links to.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.ico"), permanent=True)),
    path("dashboard/", include("dashboard.urls")),
    path("accounts/", include("xigang.security.urls")),  # before auth's: password change, OTP
    # Of django.contrib.auth's pages only these two: no password reset by e-mail (a one-time
    # code from the 系统管理员 replaces it, /accounts/code/).
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("duties/", include("duties.urls")),
    path("households/", include("households.urls")),
    path("visits/", include("visits.urls")),
    path("oversight/", include("oversight.urls")),
    path("notices/", include("notices.urls")),
    path("projects/", include("projects.urls")),
]
