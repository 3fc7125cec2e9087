from django.urls import path

from zhucan.elders import views, views_import

app_name = "elders"
urlpatterns = [
    path("", views.elder_list, name="list"),
    path("new/", views.elder_create, name="create"),
    path("check-id/", views.elder_check_id, name="check_id"),
    path("export.xlsx", views.elder_export, name="export"),
    path("import/", views_import.elder_import, name="import"),
    path("import/confirm/", views_import.elder_import_confirm, name="import_confirm"),
    path("import/template.xlsx", views_import.elder_import_template, name="import_template"),
    path("<int:elder_id>/", views.elder_detail, name="detail"),
    path("<int:elder_id>/edit/", views.elder_edit, name="edit"),
    path("<int:elder_id>/diet/", views.elder_diet, name="diet"),
    path("<int:elder_id>/verify/", views.elder_verify, name="verify"),
    path("<int:elder_id>/reveal-id/", views.elder_reveal_id, name="reveal_id"),
    path("<int:elder_id>/reveal/<str:field>/", views.elder_reveal, name="reveal"),
]
