from django.urls import path

from duties import views

app_name = "duties"

urlpatterns = [
    path("obligations/", views.obligation_list, name="obligation_list"),
    path("obligations/<int:pk>/", views.obligation_complete_view, name="obligation_complete"),
    path("obligations/<int:pk>/waive/", views.obligation_waive_view, name="obligation_waive"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
]
