import importlib

from django.apps import AppConfig, apps

# The voice app's selectors (same floor): satisfaction and complaint timeliness, once it is merged.
EVALUATION_SELECTORS = "zhucan.evaluation.selectors"


class AssessmentConfig(AppConfig):
    name = "zhucan.assessment"
    label = "assessment"
    verbose_name = "服务质量评估"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register
        from zhucan.assessment import sources
        from zhucan.assessment.models import Source

        register("assessment.indicatortable", Scope("assessment", ("region__path",), canteen_field=None))
        register("assessment.assessment", Scope("assessment", ("canteen__region__path",), canteen_field="canteen_id"))
        if apps.is_installed("zhucan.evaluation"):
            evaluation = importlib.import_module(EVALUATION_SELECTORS)
            if hasattr(evaluation, "satisfaction"):
                sources.register_provider(Source.SATISFACTION, evaluation.satisfaction)
            if hasattr(evaluation, "complaint_timeliness"):
                sources.register_provider(Source.COMPLAINTS, evaluation.complaint_timeliness)
