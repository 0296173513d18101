from django.urls import path

from households import views

app_name = "households"

urlpatterns = [
    path("", views.household_list, name="list"),
    path("suggest/", views.household_suggestions, name="suggest"),
    path("changes/new/", views.member_change_new, name="member_change_new"),
    path("quality/", views.quality, name="quality"),
]
