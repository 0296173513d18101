from django.urls import path

from xigang.security import views

# Included under accounts/ before django.contrib.auth.urls: these names win.
urlpatterns = [
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("otp/setup/", views.otp_setup, name="otp_setup"),
    path("otp/verify/", views.otp_verify, name="otp_verify"),
    path("code/", views.access_code, name="access_code"),
]
