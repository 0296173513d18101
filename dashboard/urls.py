from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("items/", views.item_list, name="items"),
    path("items.xlsx", views.item_export, name="items_xlsx"),
    path("overdue.json", views.overdue_json, name="overdue_json"),
    path("households/<str:number>/", views.household, name="household"),
    path("suggest/<str:kind>/", views.suggest, name="suggest"),
    path("rankings/<str:key>/", views.ranking, name="ranking"),
    path("people/<str:username>/", views.person, name="person"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/plans/<int:pk>/", views.plan_approve, name="plan_approve"),
    path(
        "approvals/commendations/<int:pk>/",
        views.commendation_approve,
        name="commendation_approve",
    ),
]
