from django.urls import path

from zhucan.video import views

app_name = "video"
urlpatterns = [
    path("", views.wall, name="wall"),
    path("canteens/<int:canteen_id>/", views.canteen, name="canteen"),
    path("channels/<int:channel_id>/open/", views.open_channel, name="open"),
    path("sessions/<int:session_id>/", views.player, name="player"),
    path("sessions/<int:session_id>/beat/", views.beat, name="beat"),
    path("sessions/<int:session_id>/end/", views.end, name="end"),
    path("log/", views.log, name="log"),
    path("kitchen/<int:canteen_id>/", views.kiosk, name="kiosk"),
    path("kitchen/<int:canteen_id>/streams.json", views.kiosk_tokens, name="kiosk_streams"),
    path("hls/<str:key>/<str:name>", views.hls, name="hls"),
]
