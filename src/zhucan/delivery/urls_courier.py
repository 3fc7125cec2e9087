from django.urls import path

from zhucan.delivery import views_courier as v

app_name = "courier"

urlpatterns = [
    path("", v.route, name="route"),
    path("login/", v.login, name="login"),
    path("logout/", v.logout, name="logout"),
    path("stops/<int:stop_id>/pickup/", v.pickup, name="pickup"),
    path("stops/<int:stop_id>/deliver/", v.deliver, name="deliver"),
    path("stops/<int:stop_id>/fail/", v.fail, name="fail"),
    path("stops/<int:stop_id>/phone/", v.phone, name="phone"),
]
