from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "zhucan.api"
    label = "zhucan_api"
    verbose_name = "对接接口"
