"""The phone pages of ratings and complaints, included at /h5/ (namespace "h5eval")."""

from django.urls import path

from zhucan.evaluation import views_campaign, views_h5

urlpatterns = [
    path("e/<int:elder_id>/meals/", views_h5.meals, name="meals"),
    path("e/<int:elder_id>/meals/<int:meal_id>/rate/", views_h5.rate, name="rate"),
    path("e/<int:elder_id>/complaints/", views_h5.complaints, name="complaints"),
    path("e/<int:elder_id>/vote/", views_campaign.vote, name="vote"),
]
