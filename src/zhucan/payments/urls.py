from django.urls import path

from zhucan.payments import views

app_name = "payments"

urlpatterns = [
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("notify/wechat/", views.wechat_notify, name="wechat_notify"),
]
