"""Ordering fixtures for the channel pages (importable: the dispatch tests continue the story — the
canteen assigns the order, the courier delivers it with the handover code).

`ordering_setup(world)` gives a canteen in 保俶社区 (world.elder's community) that takes lunch
orders until 09:30 and delivers to 保俶社区 and 西溪社区, today's lunch menu published (套餐 with
3 portions, 米饭 unlimited), and phone accounts: world.elder's own phone and a child bound to
world.elder and to a second elder. Freeze the clock first (`MORNING`: 08:00 on a Monday)."""

from __future__ import annotations

from datetime import datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from tests.conftest import make_canteen, make_elder, make_user

MORNING = datetime(2025, 6, 2, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday, before the 09:30 cut-off
AFTER_CUTOFF = datetime(2025, 6, 2, 9, 45, tzinfo=ZoneInfo("Asia/Shanghai"))
ELDER_PHONE = "13800001111"
FAMILY_PHONE = "13900002222"
PASSWORD = "Laoren-2025"


def ordering_setup(world) -> SimpleNamespace:
    from zhucan.canteens.models import Dish
    from zhucan.core import clock
    from zhucan.elderphone.services import account_set_password, binding_create
    from zhucan.orders.coverage import coverage_set
    from zhucan.orders.menus import cutoff_set, menu_publish

    o = SimpleNamespace()
    o.canteen = make_canteen(world.xihu_c1, "保俶长者食堂")
    o.far_canteen = make_canteen(world.xihu_c2, "西溪长者食堂")
    o.manager = make_user("baochu_mgr", "canteen_manager", canteen=o.canteen)
    o.cashier = make_user("baochu_cashier", "cashier", canteen=o.canteen)
    o.far_manager = make_user("xixi_mgr", "canteen_manager", canteen=o.far_canteen)
    o.dishes = {
        "套餐": Dish.objects.create(canteen=o.canteen, name="套餐", price_fen=1500),
        "米饭": Dish.objects.create(canteen=o.canteen, name="米饭", price_fen=100),
    }
    far_dish = Dish.objects.create(canteen=o.far_canteen, name="西溪套餐", price_fen=1500)
    district = world.users["district_admin"]
    for canteen, manager, communities in ((o.canteen, o.manager, [world.xihu_c1, world.xihu_c2]),
                                          (o.far_canteen, o.far_manager, [world.xihu_c2])):
        cutoff_set(actor=manager, canteen_id=canteen.pk, period="lunch", cutoff=time(9, 30), delivers=True)
        coverage_set(actor=district, canteen_id=canteen.pk, community_ids=[c.pk for c in communities])
    today = clock.local_today()
    o.offers = {offer.name: offer for offer in menu_publish(
        actor=o.manager, canteen_id=o.canteen.pk, local_date=today, period="lunch",
        offers=[(o.dishes["套餐"].pk, 3), (o.dishes["米饭"].pk, None)])}
    menu_publish(actor=o.far_manager, canteen_id=o.far_canteen.pk, local_date=today, period="lunch",
                 offers=[(far_dish.pk, None)])
    # world.elder lives in 保俶社区 with a registered address; a second elder with the same child.
    world.elder.address = "保俶路12号3单元201"
    world.elder.save()
    o.second = make_elder(world.xihu_c1, name="张国华")
    staff = world.users["subdistrict_staff"]
    own = binding_create(actor=staff, elder_id=world.elder.pk, phone=ELDER_PHONE, relation="self", notify=False)
    child = binding_create(actor=staff, elder_id=world.elder.pk, phone=FAMILY_PHONE, relation="child",
                           display_name="张晓东", notify=False)
    binding_create(actor=staff, elder_id=o.second.pk, phone=FAMILY_PHONE, relation="child", display_name="张晓东",
                   notify=False)
    o.elder_account = account_set_password(account=own.binding.account, password=PASSWORD)
    o.family_account = account_set_password(account=child.binding.account, password=PASSWORD)
    return o


def h5_login(client, phone: str, password: str = PASSWORD):
    response = client.post("/h5/login/", {"phone": phone, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def place_on_phone(client, elder, offer, *, fulfilment="delivery", qty=1, extra=None):
    """The phone flow: quote, then confirm with the amount shown. Returns (quote response, place response)."""
    form = {"canteen": offer.canteen_id, "slot": f"{offer.local_date.isoformat()}_{offer.period}",
            f"qty_{offer.pk}": qty, "fulfilment": fulfilment, "where": "home", "action": "quote", "key": "k-1"}
    form.update(extra or {})
    quote = client.post(f"/h5/orders/e/{elder.pk}/new/", form)
    if quote.status_code != 200:
        return quote, None
    payable = quote.context["quote"].payable_fen
    placed = client.post(f"/h5/orders/e/{elder.pk}/new/", {**form, "action": "place", "expected_payable_fen": payable})
    return quote, placed
