"""The published inspection results (一公开), included at /public/inspections/, no login."""

from django.urls import path

from zhucan.inspections import views

app_name = "inspections_public"
urlpatterns = [path("", views.public_list, name="list")]
