from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("items/", views.item_list, name="items"),
    path("items.xlsx", views.item_export, name="items_xlsx"),
    path("overdue.json", views.overdue_json, name="overdue_json"),
    path("households/<str:number>/", views.household, name="household"),
]
