from django.urls import path

from zhucan.settlement import views

app_name = "settlement"

urlpatterns = [
    path("", views.statement_list, name="list"),
    path("generate/", views.generate, name="generate"),
    path("report/", views.district_report, name="report"),
    path("report/export.<str:fmt>", views.report_export, name="report_export"),
    path("<int:pk>/", views.statement_detail, name="detail"),
    path("<int:pk>/export.<str:fmt>", views.statement_export, name="export"),
    path("<int:pk>/<str:action>/", views.statement_action, name="action"),
    path("mismatch/<int:pk>/resolve/", views.mismatch_resolve, name="mismatch_resolve"),
]
