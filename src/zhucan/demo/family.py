"""Demo data of the ordering channels: the demo family account (elderphone.demo.FAMILY_PHONE) orders
its parent's next open meal for delivery (or pickup when the canteen does not deliver) through the
real order service, as the phone page would (channel 家属代订). It needs the menus ahead that the
orders demo publishes; without any it places nothing. Idempotent (one fixed request key)."""

from __future__ import annotations

from zhucan.core.errors import DomainError
from zhucan.elderphone.demo import FAMILY_PHONE
from zhucan.elderphone.models import Binding, PhoneAccount
from zhucan.elderphone.phones import phone_index
from zhucan.orders import channels
from zhucan.orders.models import Fulfilment, Order, OrderChannel
from zhucan.orders.placing import order_place, order_quote

DEMO_KEY = "demo-family-order-1"


def seed_demo_family_orders() -> int:
    account = PhoneAccount.objects.filter(phone_index=phone_index(FAMILY_PHONE)).first()
    if account is None or Order.objects.filter(placer=f"account:{account.pk}", idempotency_key=DEMO_KEY).exists():
        return 0
    binding = (Binding.objects.filter(account=account, revoked_at__isnull=True).select_related("elder__community")
               .order_by("bound_at", "pk").first())
    if binding is None:
        return 0
    for canteen in channels.canteens_for(binding.elder):
        for slot in channels.open_slots(canteen):
            offer = next((o for o in slot.offers if o.portions_left is None or o.portions_left > 0), None)
            if offer is None:
                continue
            fulfilment = Fulfilment.DELIVERY if slot.delivers and offer.delivers else Fulfilment.PICKUP
            common = {"account": account, "elder_id": binding.elder_id, "canteen_id": canteen.pk,
                      "local_date": slot.day, "period": slot.period, "lines": [(offer.pk, 1)],
                      "fulfilment": fulfilment, "channel": OrderChannel.FAMILY_PHONE}
            try:
                quote = order_quote(**common)
                order_place(**common, expected_payable_fen=quote.payable_fen, idempotency_key=DEMO_KEY)
            except DomainError:
                continue
            return 1
    return 0
