"""The console at /evaluation/ (namespace "evaluation")."""

from django.urls import path

from zhucan.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.index, name="index"),
    path("ratings/", views.rating_list, name="ratings"),
    path("ratings/export.xlsx", views.rating_export, name="rating_export"),
    path("ratings/record/", views.rating_record, name="rating_record"),
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/export.xlsx", views.complaint_export, name="complaint_export"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/<int:complaint_id>/", views.complaint_detail, name="complaint"),
    path("complaints/<int:complaint_id>/assign/", views.complaint_assign, name="complaint_assign"),
    path("complaints/<int:complaint_id>/answer/", views.complaint_answer, name="complaint_answer"),
    path("complaints/<int:complaint_id>/close/", views.complaint_close, name="complaint_close"),
]
