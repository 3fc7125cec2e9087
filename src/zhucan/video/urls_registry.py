from django.urls import path

from zhucan.video import views_registry as views

app_name = "video_registry"
urlpatterns = [
    path("", views.device_list, name="list"),
    path("health/", views.health, name="health"),
    path("canteens/<int:canteen_id>/new/", views.device_create, name="device_create"),
    path("canteens/<int:canteen_id>/checks/", views.checks, name="checks"),
    path("canteens/<int:canteen_id>/checks/run/", views.check_now, name="check_now"),
    path("<int:device_id>/", views.device_detail, name="device"),
    path("<int:device_id>/channels/new/", views.channel_create, name="channel_create"),
    path("channels/<int:channel_id>/", views.channel_edit, name="channel"),
]
