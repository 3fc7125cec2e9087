from django.urls import path

from zhucan.alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("export.xlsx", views.alert_export, name="export"),
    path("detect/", views.detect, name="detect"),
    path("rules/", views.rule_settings, name="rules"),
    path("<int:alert_id>/", views.alert_detail, name="detail"),
    path("<int:alert_id>/snapshot/", views.alert_snapshot, name="snapshot"),
    path("<int:alert_id>/assign/", views.alert_assign, name="assign"),
    path("<int:alert_id>/investigate/", views.alert_investigate, name="investigate"),
    path("<int:alert_id>/close/", views.alert_close, name="close"),
]
