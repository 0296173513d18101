from django.urls import path

from households import views

app_name = "households"

urlpatterns = [
    path("quality/", views.quality, name="quality"),
]
