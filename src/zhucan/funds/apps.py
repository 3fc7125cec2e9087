from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "zhucan.funds"
    label = "funds"
    verbose_name = "建设补贴与运营奖补"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register

        by_canteen = Scope("funds", ("canteen__region__path",), canteen_field="canteen_id")
        register("funds.constructionsubsidy", by_canteen)
        register("funds.canteenevaluation", by_canteen)
        register("funds.operatingreward", by_canteen)
        register("funds.subsidyevidence",
                 Scope("funds", ("subsidy__canteen__region__path",), canteen_field="subsidy__canteen_id"))
        # A target hangs on a district node: visible to the city and that district.
        register("funds.constructiontarget", Scope("funds", ("region__path",), canteen_field=None))
