from django.urls import path

from zhucan.privacy import views

app_name = "privacy"
urlpatterns = [
    path("elders/<int:elder_id>/erase/", views.elder_erase_view, name="erase"),
]
