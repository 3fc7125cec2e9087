"""Ordering on the phone page, included at /h5/orders/ (namespace "h5orders")."""

from django.urls import path

from zhucan.orders import views_h5

urlpatterns = [
    path("", views_h5.choose, name="choose"),
    path("e/<int:elder_id>/", views_h5.elder_orders, name="elder"),
    path("e/<int:elder_id>/new/", views_h5.order_new, name="new"),
    path("e/<int:elder_id>/o/<int:order_id>/", views_h5.order_detail, name="order"),
    path("e/<int:elder_id>/o/<int:order_id>/cancel/", views_h5.order_cancel, name="cancel"),
    path("e/<int:elder_id>/o/<int:order_id>/pay/", views_h5.order_pay, name="pay"),
    path("e/<int:elder_id>/standing/new/", views_h5.standing_new, name="standing_new"),
    path("e/<int:elder_id>/standing/<int:standing_id>/<str:what>/", views_h5.standing_change,
         name="standing_change"),
]
