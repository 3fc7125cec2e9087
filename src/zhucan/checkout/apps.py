from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "zhucan.checkout"
    label = "checkout"
    verbose_name = "收银与账本"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register

        register("checkout.meal", Scope("meal", ("canteen__region__path",), canteen_field="canteen_id"))
