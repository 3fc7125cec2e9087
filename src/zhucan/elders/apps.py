from django.apps import AppConfig


class EldersConfig(AppConfig):
    name = "zhucan.elders"
    label = "elders"
    verbose_name = "老年人档案"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register

        register("elders.elder", Scope("elder", ("community__path",), canteen_field=None))
        register("elders.elderreach", Scope("elder", ("region_path",), canteen_field=None))
