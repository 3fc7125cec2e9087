from django.urls import path

from zhucan.canteens import views

app_name = "canteens"
urlpatterns = [
    path("", views.canteen_list, name="list"),
    path("new/", views.canteen_create, name="create"),
    path("export.xlsx", views.canteen_export, name="export"),
    path("<int:canteen_id>/", views.canteen_detail, name="detail"),
    path("<int:canteen_id>/edit/", views.canteen_edit, name="edit"),
    path("<int:canteen_id>/periods/", views.canteen_periods, name="periods"),
    path("<int:canteen_id>/dishes/new/", views.dish_edit, name="dish_create"),
    path("<int:canteen_id>/dishes/<int:dish_id>/edit/", views.dish_edit, name="dish_edit"),
]
