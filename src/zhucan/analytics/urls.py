from django.urls import path

from zhucan.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<str:table>.xlsx", views.export, name="export"),
    path("not-reached/", views.not_reached, name="not_reached"),
    path("not-reached/export.xlsx", views.not_reached_export, name="not_reached_export"),
    path("live.json", views.live_json, name="live_json"),
    path("screen/", views.screen, name="screen"),
    path("screen/data.json", views.screen_json, name="screen_json"),
]
