"""The console at /evaluation/ (namespace "evaluation")."""

from django.urls import path

from zhucan.evaluation import views, views_campaign

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
    path("campaigns/", views_campaign.campaign_list, name="campaigns"),
    path("campaigns/<int:campaign_id>/", views_campaign.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/nominate/", views_campaign.campaign_nominate, name="campaign_nominate"),
    path("campaigns/<int:campaign_id>/publish/", views_campaign.campaign_publish, name="campaign_publish"),
]
