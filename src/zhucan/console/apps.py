from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "zhucan.console"
    label = "console"
    verbose_name = "管理控制台"
