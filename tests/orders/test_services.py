"""The order service (issue 17): every path and error code, on an injected clock."""

from __future__ import annotations

from datetime import date, time

import pytest

from tests.orders.conftest import DAY, at
from zhucan.checkout.models import ElderDayUsage, Reservation
from zhucan.checkout.services import OrderLine, meal_commit
from zhucan.core.errors import DomainError
from zhucan.elders.models import ElderStatus
from zhucan.orders.coverage import coverage_set, covering_canteens
from zhucan.orders.handover import handover_code, order_fail, order_handover, orders_expire
from zhucan.orders.menus import cutoff_set, menu_copy_last_week, menu_publish
from zhucan.orders.models import MenuOffer, Order
from zhucan.orders.models import OrderLine as Line
from zhucan.orders.placing import order_cancel, order_place, order_quote


def place(world, shop, *, account=None, actor=None, lines=None, key="k1", payable=1050, fulfilment="pickup",
          channel=None, elder=None, **extra):
    if actor is None and account is None:
        actor = world.users["subdistrict_staff"]
    channel = channel or ("family_phone" if account is not None else
                          "canteen" if actor.role in ("canteen_manager", "cashier") else "staff")
    return order_place(actor=actor if account is None else None, account=account,
                       elder_id=(elder or world.elder).pk, canteen_id=world.canteen.pk, local_date=DAY,
                       period="lunch", lines=[(shop.set.pk, 1)] if lines is None else lines, fulfilment=fulfilment,
                       channel=channel, expected_payable_fen=payable, idempotency_key=key, **extra)


def code(exc):
    return exc.value.code


def test_family_places_a_delivery_order_holding_the_benefit(world, shop, family):
    quote = order_quote(account=family, elder_id=world.elder.pk, canteen_id=world.canteen.pk, local_date=DAY,
                        period="lunch", lines=[(shop.set.pk, 1)], fulfilment="delivery", channel="family_phone")
    assert Order.objects.count() == 0 and Reservation.objects.count() == 0  # a quote keeps nothing
    order = place(world, shop, account=family, fulfilment="delivery", payable=quote.payable_fen)
    assert (order.status, order.gross_fen, order.benefit_fen, order.payable_fen) == ("placed", 1500, 450, 1050)
    assert order.address == "保俶路1号" and order.community == world.xihu_c1
    assert order.placed_by_account == family and order.channel == "family_phone"
    res = Reservation.objects.get(source=f"order:{order.pk}")
    assert res.status == "held" and res.delivery
    assert MenuOffer.objects.get(pk=shop.set.pk).portions_taken == 1
    assert [(ln.name, ln.quantity, ln.line_fen) for ln in Line.objects.filter(order=order)] == [("套餐", 1, 1500)]
    assert len(handover_code(order)) == 6
    # the same submit again: the same order, nothing held twice
    assert place(world, shop, account=family, fulfilment="delivery", payable=quote.payable_fen).pk == order.pk
    assert Reservation.objects.count() == 1 and MenuOffer.objects.get(pk=shop.set.pk).portions_taken == 1
    # the same key with another body is refused
    with pytest.raises(DomainError) as exc:
        place(world, shop, account=family, fulfilment="pickup", payable=1050)
    assert code(exc) == "ORDER_DUPLICATE"


def test_a_counter_meal_after_an_order_gets_no_second_discount(world, shop, menu):
    place(world, shop)
    shop.clock(at("2025-06-02 11:40"))
    meal = meal_commit(canteen=world.canteen, elder=world.elder, lines=[OrderLine(dish_id=menu["套餐"].pk, quantity=1)],
                       idempotency_key="c1", request_digest="c1", identified_by="card", at=at("2025-06-02 11:40")).meal
    assert meal.benefit_fen == 0


def test_refusals(world, shop, family, menu):
    other_account = type(family)(display_name="陌生人", created_at=family.created_at)
    other_account.phone = "13900002222"
    other_account.save()
    cases = [
        (dict(account=other_account), "ORDER_ELDER_NOT_BOUND"),
        (dict(payable=999), "ORDER_PRICE_CHANGED"),
        (dict(lines=[(shop.set.pk, 4)]), "ORDER_SOLD_OUT"),
        (dict(lines=[(999999, 1)]), "ORDER_LINE_INVALID"),
        (dict(lines=[]), "ORDER_EMPTY"),
    ]
    for kwargs, expected in cases:
        kwargs.setdefault("key", f"k-{expected}")
        with pytest.raises(DomainError) as exc:
            place(world, shop, **kwargs)
        assert code(exc) == expected, kwargs
    with pytest.raises(DomainError) as exc:
        place(world, shop, payable=999)
    assert exc.value.details["payable"] == "10.50"
    # outside coverage: the elder lives in 西溪社区; 湖滨 covers it
    far = type(world.elder).objects.get(pk=world.elder.pk)
    far.community = world.xihu_c2
    far.save()
    coverage_set(actor=world.other["canteen_manager"], canteen_id=world.other_canteen.pk,
                 community_ids=[world.sc_c1.pk, world.xihu_c2.pk])
    with pytest.raises(DomainError) as exc:
        place(world, shop, fulfilment="delivery", key="far", actor=world.users["district_admin"])
    assert code(exc) == "ORDER_OUTSIDE_COVERAGE"
    assert exc.value.details["nearest"] == [{"id": world.other_canteen.pk, "name": "湖滨长者食堂"}]
    assert "湖滨长者食堂" in exc.value.message_zh
    # deceased
    far.status, far.status_since = ElderStatus.DECEASED, DAY
    far.save()
    with pytest.raises(DomainError) as exc:
        place(world, shop, key="dead", actor=world.users["district_admin"])
    assert code(exc) == "ORDER_ELDER_INACTIVE"
    # after the cut-off
    far.status, far.status_since, far.community = ElderStatus.ACTIVE, None, world.xihu_c1
    far.save()
    shop.clock(at("2025-06-02 09:30"))
    with pytest.raises(DomainError) as exc:
        place(world, shop, key="late")
    assert code(exc) == "ORDER_CUTOFF_PASSED" and "09:30" in exc.value.message_zh
    # nothing was reserved or taken by any refusal
    assert Order.objects.count() == 0 and Reservation.objects.count() == 0
    assert MenuOffer.objects.get(pk=shop.set.pk).portions_taken == 0
    held = [row.usage for row in ElderDayUsage.objects.filter(elder=world.elder)]
    assert all(not layer.get("periods") for usage in held for layer in usage.get("layers", {}).values())


def test_no_delivery_period_and_other_channels(world, shop, menu):
    cutoff_set(actor=shop.manager, canteen_id=world.canteen.pk, period="dinner", cutoff=time(15, 0),
               delivers=False)
    dinner = menu_publish(actor=shop.manager, canteen_id=world.canteen.pk, local_date=DAY, period="dinner",
                          offers=[(menu["套餐"].pk, None)])
    with pytest.raises(DomainError) as exc:
        order_place(actor=world.users["subdistrict_staff"], elder_id=world.elder.pk, canteen_id=world.canteen.pk,
                    local_date=DAY, period="dinner", lines=[(dinner[0].pk, 1)], fulfilment="delivery",
                    channel="staff", expected_payable_fen=1500, idempotency_key="d")
    assert code(exc) == "ORDER_NO_DELIVERY"
    # the other side of the boundary cannot order for this elder; the other canteen's cashier neither
    with pytest.raises(DomainError) as exc:
        place(world, shop, actor=world.other["subdistrict_staff"], key="x")
    assert code(exc) == "NOT_FOUND"
    with pytest.raises(DomainError) as exc:
        place(world, shop, actor=world.other["cashier"], key="y")
    assert code(exc) == "ORDER_WRONG_CANTEEN"
    order = place(world, shop, actor=world.users["cashier"], key="z")
    assert order.channel == "canteen" and order.placed_by_user == world.users["cashier"]


def test_cancel_before_cutoff_releases_and_after_is_refused(world, shop, family):
    order = place(world, shop, account=family)
    before = ElderDayUsage.objects.get(elder=world.elder).usage
    assert before["layers"]
    cancelled = order_cancel(account=family, order_id=order.pk, reason="住院")
    assert cancelled.status == "cancelled"
    assert Reservation.objects.get(source=f"order:{order.pk}").status == "released"
    assert MenuOffer.objects.get(pk=shop.set.pk).portions_taken == 0
    assert not ElderDayUsage.objects.get(elder=world.elder).usage["layers"].get("city", {}).get("periods")
    again = place(world, shop, account=family, key="k2")
    shop.clock(at("2025-06-02 09:31"))
    with pytest.raises(DomainError) as exc:
        order_cancel(account=family, order_id=again.pk, reason="晚了")
    assert code(exc) == "ORDER_NOT_CANCELLABLE"


def test_handover_by_code_enters_the_ledger_and_expiry_releases(world, shop, family):
    delivered = place(world, shop, account=family, fulfilment="delivery")
    kept = place(world, shop, actor=world.users["subdistrict_staff"], lines=[(shop.rice.pk, 1)], payable=100,
                 key="rice")
    shop.clock(at("2025-06-02 11:50"))
    with pytest.raises(DomainError) as exc:
        order_handover(actor=world.other["cashier"], order_id=delivered.pk, method="handover_code",
                         evidence=handover_code(delivered))
    assert code(exc) == "ORDER_WRONG_CANTEEN"
    with pytest.raises(DomainError) as exc:
        order_handover(actor=world.users["cashier"], order_id=delivered.pk, method="handover_code",
                         evidence="000000" if handover_code(delivered) != "000000" else "111111")
    assert code(exc) == "HANDOVER_CODE_WRONG"
    meal = order_handover(actor=world.users["cashier"], order_id=delivered.pk, method="handover_code",
                            evidence=handover_code(delivered))
    assert meal.channel == "delivery" and meal.benefit_fen == 450 and meal.payable_fen == 1050
    assert order_handover(actor=world.users["cashier"], order_id=delivered.pk, method="handover_code",
                            evidence=handover_code(delivered)).pk == meal.pk
    delivered.refresh_from_db()
    assert delivered.status == "handed_over" and delivered.meal_id == meal.pk
    shop.clock(at("2025-06-02 12:31"))
    assert orders_expire() == 1
    kept.refresh_from_db()
    assert kept.status == "expired"
    assert Reservation.objects.get(source=f"order:{kept.pk}").status == "released"
    assert orders_expire() == 0


def test_fail_releases(world, shop):
    order = place(world, shop, fulfilment="delivery")
    with pytest.raises(DomainError) as exc:
        order_fail(actor=world.users["cashier"], order_id=order.pk, reason=" ")
    assert code(exc) == "ORDER_FAIL_REASON_REQUIRED"
    failed = order_fail(actor=world.users["cashier"], order_id=order.pk, reason="家中无人")
    assert failed.status == "failed"
    assert Reservation.objects.get(source=f"order:{order.pk}").status == "released"
    with pytest.raises(DomainError) as exc:
        order_handover(actor=world.users["cashier"], order_id=order.pk, method="counter")
    assert code(exc) == "ORDER_NOT_OPEN"


def test_menus_and_coverage_rules(world, shop, menu):
    with pytest.raises(DomainError) as exc:
        menu_publish(actor=shop.manager, canteen_id=world.canteen.pk, local_date=date(2025, 6, 10),
                     period="lunch", offers=[(menu["套餐"].pk, 1)])
    assert code(exc) == "MENU_DATE_RANGE"
    with pytest.raises(DomainError) as exc:
        menu_publish(actor=shop.manager, canteen_id=world.canteen.pk, local_date=DAY, period="lunch",
                     offers=[(menu["停售菜"].pk, 1)])
    assert code(exc) == "MENU_DISH_UNKNOWN"
    two = order_quote(actor=world.users["subdistrict_staff"], elder_id=world.elder.pk, canteen_id=world.canteen.pk,
                      local_date=DAY, period="lunch", lines=[(shop.set.pk, 2)], fulfilment="pickup", channel="staff")
    place(world, shop, lines=[(shop.set.pk, 2)], payable=two.payable_fen)
    with pytest.raises(DomainError) as exc:
        menu_publish(actor=shop.manager, canteen_id=world.canteen.pk, local_date=DAY, period="lunch",
                     offers=[(menu["套餐"].pk, 1), (menu["米饭"].pk, None)])
    assert code(exc) == "MENU_PORTIONS_BELOW_TAKEN"
    with pytest.raises(DomainError) as exc:
        cutoff_set(actor=shop.manager, canteen_id=world.canteen.pk, period="lunch", cutoff=time(13, 0),
                   delivers=True)
    assert code(exc) == "MENU_CUTOFF_INVALID"
    with pytest.raises(DomainError) as exc:
        menu_publish(actor=world.other["canteen_manager"], canteen_id=world.canteen.pk, local_date=DAY,
                     period="lunch", offers=[(menu["套餐"].pk, 1)])
    assert code(exc) == "NOT_FOUND"
    with pytest.raises(DomainError) as exc:
        coverage_set(actor=shop.manager, canteen_id=world.canteen.pk, community_ids=[world.xihu_c2.pk])
    assert code(exc) == "COVERAGE_OWN_COMMUNITY"
    # copy last week: DAY's lunch onto the next Monday
    shop.clock(at("2025-06-08 20:00"))
    assert menu_copy_last_week(actor=shop.manager, canteen_id=world.canteen.pk, week_start=date(2025, 6, 9)) == 2
    copied = MenuOffer.objects.filter(local_date=date(2025, 6, 9))
    assert sorted((o.name, o.portions, o.portions_taken) for o in copied) == [("套餐", 3, 0), ("米饭", None, 0)]
    assert world.canteen in covering_canteens(community=world.xihu_c1)
