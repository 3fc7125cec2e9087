from django.apps import AppConfig


class CanteensConfig(AppConfig):
    name = "zhucan.canteens"
    label = "canteens"
    verbose_name = "助餐点"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register

        register("canteens.canteen", Scope("canteen", ("region__path",), canteen_field="pk"))
        register("canteens.dish", Scope("canteen", ("canteen__region__path",), canteen_field="canteen_id"))
        register(
            "canteens.mealperiod", Scope("canteen", ("canteen__region__path",), canteen_field="canteen_id")
        )
