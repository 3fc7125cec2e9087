"""The public directory (no login), included at /public/ from config/urls.py (namespace "public")."""

from django.urls import path

from zhucan.filing import views_public

app_name = "public"

urlpatterns = [
    path("canteens/", views_public.canteen_list, name="canteens"),
    path("canteens.json", views_public.canteens_json, name="canteens_json"),
    path("canteens.csv", views_public.canteens_csv, name="canteens_csv"),
    path("canteens/<int:canteen_id>/", views_public.canteen_detail, name="canteen"),
    path("canteens/<int:canteen_id>/sign.pdf", views_public.canteen_sign, name="sign"),
]
