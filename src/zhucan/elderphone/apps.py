from django.apps import AppConfig


class ElderPhoneConfig(AppConfig):
    name = "zhucan.elderphone"
    label = "elderphone"
    verbose_name = "长者手机页"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register
        from zhucan.elderphone import checks  # noqa: F401  (registers the deploy check)

        # Bindings are managed through the elder they belong to (permission: elder/change), so a
        # console user sees and revokes only bindings of elders in their jurisdiction.
        register("elderphone.binding", Scope("elder", ("elder__community__path",), canteen_field=None))
