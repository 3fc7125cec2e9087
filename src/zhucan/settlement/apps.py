from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "zhucan.settlement"
    label = "settlement"
    verbose_name = "结算"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register

        register("settlement.statement",
                 Scope("statement", ("canteen__region__path",), canteen_field="canteen_id"))
