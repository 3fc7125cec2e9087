from django.urls import path

from zhucan.regions import views

app_name = "regions"
urlpatterns = [path("", views.region_tree, name="tree")]
