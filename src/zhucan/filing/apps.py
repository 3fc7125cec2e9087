from django.apps import AppConfig


class FilingConfig(AppConfig):
    name = "zhucan.filing"
    label = "filing"
    verbose_name = "定点备案"
    default_auto_field = "django.db.models.BigAutoField"
