from django.urls import path

from zhucan.payments import views

app_name = "payments"

urlpatterns = [
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("notify/wechat/", views.wechat_notify, name="wechat_notify"),
    path("h5/pay/<int:order_id>/", views.h5_pay, name="h5_pay"),
]
