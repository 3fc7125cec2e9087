from django.urls import path

from zhucan.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/export.xlsx", views.user_export, name="user_export"),
    path("users/<int:user_id>/edit/", views.user_edit, name="user_edit"),
]
