from django.urls import path

from zhucan.checkout import views_cashier, views_feed

app_name = "checkout"
urlpatterns = [
    path("cashier/", views_cashier.cashier, name="cashier"),
    path("live/", views_feed.live, name="live"),
    path("live/feed/", views_feed.live_feed, name="live_feed"),
]
