"""Complaints without an account, included at /public/ (namespace "evalpublic")."""

from django.urls import path

from zhucan.evaluation import views_campaign, views_public

app_name = "evalpublic"

urlpatterns = [
    path("canteens/<int:canteen_id>/complaint/", views_public.complaint_form, name="complaint"),
    path("complaints/", views_public.complaint_lookup, name="lookup"),
    path("campaigns/<int:campaign_id>/", views_campaign.campaign_result, name="campaign"),
]
