from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "zhucan.identity"
    label = "identity"
    verbose_name = "身份识别"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register

        # Cards are acted on through the elder they belong to (permission: elder/change).
        register("identity.citizencard", Scope("elder", ("elder__community__path",), canteen_field=None))
