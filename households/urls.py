from django.urls import path

from households import plan_views, views
from households.assessments import views as assessments

app_name = "households"

urlpatterns = [
    path("", views.household_list, name="list"),
    path("suggest/", views.household_suggestions, name="suggest"),
    path("changes/new/", views.member_change_new, name="member_change_new"),
    path("quality/", views.quality, name="quality"),
    path("<int:household_id>/assess/", assessments.assessment_new, name="assessment_new"),
    path("gaps/", assessments.gap_list, name="gap_list"),
    path("gaps/<int:pk>/close/", assessments.gap_close, name="gap_close"),
    path("gaps/<int:pk>/evidence/", assessments.gap_evidence, name="gap_evidence"),
    path("<str:number>/plans/new/", plan_views.plan_new, name="plan_new"),
    path("plans/<int:pk>/step/", plan_views.plan_step, name="plan_step"),
    path("plans/<int:pk>/measures/new/", plan_views.measure_new, name="measure_new"),
    path("measures/<int:pk>/deliver/", plan_views.measure_deliver, name="measure_deliver"),
]
