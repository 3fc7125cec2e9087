from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "zhucan.orders"
    label = "orders"
    verbose_name = "订餐"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register
        from zhucan.checkout.feed_labels import register_handover_proofs
        from zhucan.filing.checks import register_check
        from zhucan.orders.checks import check_online_ordering
        from zhucan.orders.handover import handover_proofs

        by_canteen = Scope("order_menu", ("canteen__region__path",), canteen_field="canteen_id")
        register("orders.menuoffer", by_canteen)
        register("orders.periodcutoff", by_canteen)
        register("orders.coveragearea", Scope("order_coverage", ("canteen__region__path",), canteen_field="canteen_id"))
        register("orders.order", Scope("order", ("canteen__region__path", "elder__community__path"),
                                       canteen_field="canteen_id"))
        register("orders.standingorder", Scope("order", ("canteen__region__path", "elder__community__path"),
                                               canteen_field="canteen_id"))
        register_check("F7", check_online_ordering)
        register_handover_proofs(handover_proofs)
