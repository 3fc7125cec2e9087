from django.urls import path

from zhucan.orders import views

app_name = "orders"
urlpatterns = [
    path("menus/", views.menus, name="menus"),
    path("menus/publish/", views.menus_publish, name="menus_publish"),
    path("menus/cutoff/", views.menus_cutoff, name="menus_cutoff"),
    path("menus/copy/", views.menus_copy, name="menus_copy"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/<int:canteen_id>/", views.coverage_save, name="coverage_save"),
    path("supervision/", views.supervision, name="supervision"),
    path("supervision/export.xlsx", views.supervision_export, name="supervision_export"),
]
