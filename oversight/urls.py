from django.urls import path

from oversight import views

app_name = "oversight"

urlpatterns = [
    path("signals/", views.signal_list, name="signal_list"),
    path("signals/<int:pk>/", views.signal_detail, name="signal_detail"),
    path("spot-checks/", views.spot_check_list, name="spot_check_list"),
    path("spot-checks/<int:pk>/", views.spot_check_detail, name="spot_check_detail"),
    path("spot-checks/answers/<int:pk>/", views.spot_check_answer_view, name="spot_check_answer"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path("first-secretaries/", views.first_secretary_list, name="first_secretary_list"),
    path(
        "first-secretaries/<int:pk>/",
        views.first_secretary_detail,
        name="first_secretary_detail",
    ),
]
