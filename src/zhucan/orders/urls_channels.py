"""Staff order for elders (a phone call, the canteen), included at /orders/channel/ (namespace
"orderchannel"; the "orders" namespace belongs to the order board)."""

from django.urls import path

from zhucan.orders import views_channels

urlpatterns = [
    path("new/", views_channels.start, name="start"),
    path("new/<int:elder_id>/", views_channels.place, name="place"),
    path("<int:order_id>/", views_channels.order_detail, name="order"),
    path("<int:order_id>/cancel/", views_channels.order_cancel, name="cancel"),
]
