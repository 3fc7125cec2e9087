from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "zhucan.evaluation"
    label = "evaluation"
    verbose_name = "评价与投诉"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from zhucan.evaluation import scopes  # noqa: F401  (registers the models' scopes)
