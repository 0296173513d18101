from django.contrib import admin
from django.urls import include, path

from dashboard import views as dashboard_views

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("dashboard/", include("dashboard.urls")),
    path("accounts/", include("xigang.security.urls")),  # before auth's: password change, OTP
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("duties/", include("duties.schedules.urls")),
    path("households/", include("households.urls")),
    path("visits/", include("visits.urls")),
]
