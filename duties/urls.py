"""The duties app's pages, both halves under one namespace."""

from django.urls import path

from duties.organisation import views as organisation_views
from duties.schedules.urls import urlpatterns as schedule_patterns

app_name = "duties"

urlpatterns = [
    *schedule_patterns,
    path("parameters/", organisation_views.parameter_list, name="parameter_list"),
]
