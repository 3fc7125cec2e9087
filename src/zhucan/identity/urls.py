from django.urls import path

from zhucan.identity import views

app_name = "identity"
urlpatterns = [
    path("keys.json", views.key_set, name="keys"),
    path("revoked.json", views.revoked, name="revoked"),
]
