from django.urls import path

from zhucan.identity import views, views_console

app_name = "identity"
urlpatterns = [
    path("keys.json", views.key_set, name="keys"),
    path("revoked.json", views.revoked, name="revoked"),
    # Console (staff): an elder's card, printed card code and PIN; a canteen's card-code factor.
    path("elders/<int:elder_id>/card/bind/", views_console.card_bind, name="card_bind"),
    path("elders/<int:elder_id>/cards/<int:card_id>/report-lost/", views_console.card_report_lost,
         name="card_report_lost"),
    path("elders/<int:elder_id>/cards/<int:card_id>/replace/", views_console.card_replace, name="card_replace"),
    path("elders/<int:elder_id>/card-code/", views_console.card_code_issue, name="card_code_issue"),
    path("elders/<int:elder_id>/card-code/revoke/", views_console.card_code_revoke, name="card_code_revoke"),
    path("elders/<int:elder_id>/pin/", views_console.pin_set, name="pin_set"),
    path("canteens/<int:canteen_id>/card-code-factor/", views_console.canteen_card_code_factor,
         name="canteen_factor"),
]
