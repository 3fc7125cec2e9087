from django.urls import path

from zhucan.face import views

app_name = "face"
urlpatterns = [
    path("elders/<int:elder_id>/consent/", views.consent_record, name="consent_record"),
    path("elders/<int:elder_id>/consent/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("elders/<int:elder_id>/enrol/", views.enrol, name="enrol"),
    path("elders/<int:elder_id>/enrolment/delete/", views.enrolment_delete, name="enrolment_delete"),
    path("canteens/<int:canteen_id>/identify/", views.canteen_setting, name="canteen_setting"),
]
