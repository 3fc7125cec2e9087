from django.urls import path

from zhucan.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.index, name="index"),
    path("roster/", views.roster_add, name="roster_add"),
    path("roster/<int:inspector_id>/remove/", views.roster_remove, name="roster_remove"),
    path("checklist/", views.checklist, name="checklist"),
    path("plans/", views.plan_create, name="plan_create"),
    path("plans/<int:plan_id>/", views.plan, name="plan"),
    path("plans/<int:plan_id>/draw/", views.plan_draw, name="plan_draw"),
    path("plans/<int:plan_id>/publish/", views.plan_publish, name="plan_publish"),
    path("plans/<int:plan_id>/export.xlsx", views.plan_export, name="plan_export"),
    path("<int:inspection_id>/", views.inspection, name="inspection"),
    path("<int:inspection_id>/followup/", views.followup, name="followup"),
    path("<int:inspection_id>/suspend/", views.suspend, name="suspend"),
    path("<int:inspection_id>/photos/<int:photo_id>/", views.photo, name="photo"),
]
