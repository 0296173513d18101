from django.contrib import admin
from django.urls import include, path

from xigang import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("duties/", include("duties.urls")),
    path("households/", include("households.urls")),
]
