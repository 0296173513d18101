from django.urls import path

from duties.schedules import views

urlpatterns = [
    path("obligations/", views.obligation_list, name="obligation_list"),
    path("obligations/<int:pk>/", views.obligation_complete_view, name="obligation_complete"),
    path("obligations/<int:pk>/waive/", views.obligation_waive_view, name="obligation_waive"),
    path("events/new/", views.event_record, name="event_record"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("disclosures/", views.disclosure_list, name="disclosure_list"),
    path("disclosures/new/", views.disclosure_edit, name="disclosure_add"),
    path("disclosures/<int:pk>/", views.disclosure_edit, name="disclosure_edit"),
]
