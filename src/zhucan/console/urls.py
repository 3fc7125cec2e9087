from django.urls import path

from zhucan.console import views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("workbench/", views.workbench, name="workbench"),
    path("audit/", views.audit_list, name="audit_list"),
]
