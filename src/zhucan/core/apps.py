from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "zhucan.core"
    label = "core"
    verbose_name = "核心"
