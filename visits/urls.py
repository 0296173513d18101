from django.urls import path

from visits import views

app_name = "visits"

urlpatterns = [
    path("", views.my_households, name="my_households"),
    path("<int:household_id>/new/", views.visit_new, name="visit_new"),
]
