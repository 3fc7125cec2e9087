from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Personal-information rights across the apps that hold an elder's data: erasure of an elder who
    withdraws touches the registry, identification media, face data and phone-page accounts, so it
    sits above all of them."""

    name = "zhucan.privacy"
    label = "privacy"
    verbose_name = "个人信息保护"
