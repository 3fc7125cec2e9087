from django.urls import path

from zhucan.filing import views_canteen, views_district, views_terminals

app_name = "filing"
urlpatterns = [
    path("", views_district.queue, name="queue"),
    path("canteens/<int:canteen_id>/", views_district.canteen, name="canteen"),
    path("canteens/<int:canteen_id>/select/", views_district.select, name="select"),
    path("canteens/<int:canteen_id>/agreement/", views_district.agreement, name="agreement"),
    path("canteens/<int:canteen_id>/suspend/", views_district.suspend, name="suspend"),
    path("canteens/<int:canteen_id>/reinstate/", views_district.reinstate, name="reinstate"),
    path("canteens/<int:canteen_id>/revoke/", views_district.revoke, name="revoke"),
    path("canteens/<int:canteen_id>/recheck/", views_district.recheck, name="recheck"),
    path("rounds/<int:filing_id>/", views_district.review, name="review"),
    path("rounds/<int:filing_id>/decide/", views_district.decide, name="decide"),
    path("items/<int:item_id>/review/", views_district.item_review, name="item_review"),
    path("evidence/<int:evidence_id>/", views_district.evidence, name="evidence"),
    path("register/", views_district.register, name="register"),
    path("register/export.xlsx", views_district.register_export, name="register_export"),
    path("canteens/<int:canteen_id>/terminals/", views_terminals.terminals, name="terminals"),
    path("mine/", views_canteen.mine, name="mine"),
    path("mine/items/<int:item_id>/", views_canteen.item_edit, name="mine_item"),
    path("mine/submit/", views_canteen.submit, name="mine_submit"),
    path("mine/resubmit/", views_canteen.resubmit, name="mine_resubmit"),
    path("mine/rounds/<int:filing_id>/", views_canteen.round_detail, name="mine_round"),
    path("mine/evidence/<int:evidence_id>/", views_canteen.evidence, name="mine_evidence"),
]
