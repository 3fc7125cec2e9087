from django.urls import path

from zhucan.funds import views

app_name = "funds"
urlpatterns = [
    path("", views.index, name="index"),
    path("subsidies/", views.subsidy_list, name="subsidy_list"),
    path("subsidies/export.xlsx", views.subsidy_export, name="subsidy_export"),
    path("subsidies/export.pdf", views.subsidy_export_pdf, name="subsidy_export_pdf"),
    path("subsidies/apply/", views.subsidy_apply, name="subsidy_apply"),
    path("subsidies/<int:subsidy_id>/", views.subsidy_detail, name="subsidy_detail"),
    path("subsidies/<int:subsidy_id>/review/", views.subsidy_review, name="subsidy_review"),
    path("subsidies/<int:subsidy_id>/approve/", views.subsidy_approve, name="subsidy_approve"),
    path("subsidies/<int:subsidy_id>/pay/", views.subsidy_pay, name="subsidy_pay"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
    path("targets/", views.target_progress, name="targets"),
    path("evaluations/", views.evaluation_list, name="evaluations"),
    path("rewards/", views.reward_list, name="rewards"),
    path("rewards/compute/", views.reward_compute, name="reward_compute"),
    path("rewards/export.xlsx", views.reward_export, name="reward_export"),
    path("rewards/export.pdf", views.reward_export_pdf, name="reward_export_pdf"),
    path("rewards/<int:reward_id>/approve/", views.reward_approve, name="reward_approve"),
    path("rewards/<int:reward_id>/pay/", views.reward_pay, name="reward_pay"),
]
