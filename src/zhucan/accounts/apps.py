from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhucan.accounts"
    label = "accounts"
    verbose_name = "用户与角色"
