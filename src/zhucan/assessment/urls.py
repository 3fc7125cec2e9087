from django.urls import path

from zhucan.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("export.xlsx", views.export, name="export"),
    path("rankings/", views.rankings, name="rankings"),
    path("rankings/export.xlsx", views.rankings_export, name="rankings_export"),
    path("tables/", views.table_create, name="table_create"),
    path("tables/<int:table_id>/", views.table, name="table"),
    path("tables/<int:table_id>/open/", views.table_open_all, name="table_open_all"),
    path("<int:assessment_id>/", views.detail, name="detail"),
    path("<int:assessment_id>/score/", views.score, name="score"),
    path("<int:assessment_id>/refresh/", views.refresh, name="refresh"),
    path("<int:assessment_id>/confirm/", views.confirm, name="confirm"),
    path("<int:assessment_id>/publish/", views.publish, name="publish"),
    path("<int:assessment_id>/contest/", views.contest, name="contest"),
    path("<int:assessment_id>/resolve/", views.resolve, name="resolve"),
    path("<int:assessment_id>/evidence/<int:indicator_id>/", views.evidence, name="evidence"),
]
