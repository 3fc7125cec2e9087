from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "zhucan.payments"
    label = "payments"
    verbose_name = "在线支付"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register
        from zhucan.orders.handover import register_online_tender
        from zhucan.orders.placing import register_cancel_hook
        from zhucan.payments.services import online_tender, payment_refund_for_order

        register("payments.payment", Scope("payment", ("canteen__region__path",), canteen_field="canteen_id"))
        register("payments.reconciliationitem",
                 Scope("payment", ("canteen__region__path",), canteen_field="canteen_id"))
        register_cancel_hook(payment_refund_for_order)
        register_online_tender(online_tender)
