from django.urls import path

from zhucan.delivery import views

app_name = "delivery"

urlpatterns = [
    path("", views.board, name="board"),
    path("routes/new/", views.route_create, name="route_create"),
    path("routes/prepare/", views.routes_prepare, name="routes_prepare"),
    path("routes/<int:route_id>/courier/", views.route_courier, name="route_courier"),
    path("routes/assign/", views.route_assign, name="route_assign"),
    path("stops/<int:stop_id>/move/", views.stop_move, name="stop_move"),
    path("couriers/new/", views.courier_register, name="courier_register"),
    path("handover/", views.handover, name="handover"),
    path("sheet.pdf", views.sheet_pdf, name="sheet_pdf"),
    path("labels.pdf", views.labels_pdf, name="labels_pdf"),
    path("labels/print/", views.labels_print, name="labels_print"),
]
