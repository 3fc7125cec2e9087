"""How a meal ordered ahead is paid at handover: the counter's tenders at a pickup (with a WeChat /
Alipay reference), the courier's record at the door (cash by default), and a tender that does not
match the payable refused with nothing written. Online payment in advance: tests/payments."""

import pytest

from tests.conftest import login
from tests.delivery.conftest import place
from zhucan.checkout.models import Meal, Reservation
from zhucan.checkout.receipts import receipt_from_meal
from zhucan.checkout.services import TenderIn
from zhucan.core.errors import DomainError
from zhucan.core.models import AuditLog
from zhucan.delivery import services
from zhucan.elderphone import sms
from zhucan.orders.handover import handover_code, order_handover
from zhucan.orders.models import OrderStatus

pytestmark = pytest.mark.django_db


def _tenders(meal):
    return [(t.kind, t.amount_fen, t.reference) for t in meal.tenders.order_by("pk")]


def test_counter_pickup_takes_the_chosen_tender_with_its_reference(dispatch, client):
    d = dispatch
    order = place(d, d.wang, fulfilment="pickup", qty=2)
    assert order.payable_fen > 0
    body = {"date": d.day.isoformat(), "period": "lunch", "order": order.pk, "method": "handover_code",
            "evidence": handover_code(order)}
    login(client, d.manager)
    board = client.get("/orders/board/?period=lunch").content.decode()
    assert f'id="handover-{order.pk}"' in board and 'name="tender"' in board
    assert "市民卡" in board and "支付宝" in board and "已在线支付" not in board

    refused = client.post("/orders/board/handover/", {**body, "tender": "bitcoin"}, follow=True).content.decode()
    assert "请选择收款方式" in refused
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED

    client.post("/orders/board/handover/", {**body, "tender": "wechat", "reference": " 4200001234567 "})
    order.refresh_from_db()
    assert order.status == OrderStatus.HANDED_OVER and order.meal.channel == "pickup"
    assert _tenders(order.meal) == [("wechat", order.payable_fen, "4200001234567")]
    assert receipt_from_meal(order.meal).tenders == [("wechat", order.payable_fen)]  # as for counter meals
    assert AuditLog.objects.get(action="orders.handover", object_id=str(order.pk)).after["tenders"] == ["wechat"]


def test_the_courier_records_how_the_elder_paid_cash_by_default(dispatch, client):
    d = dispatch
    first, second = place(d, d.zhang), place(d, d.wang)
    route = services.route_create(actor=d.manager, canteen_id=d.canteen.pk, local_date=d.day, period="lunch",
                                  name="一号线", courier_id=d.courier.pk)
    stops = [services.route_assign(actor=d.manager, route_id=route.pk, order_id=o.pk) for o in (first, second)]
    services.courier_deliver(courier=d.courier, stop_id=stops[0].pk, method="handover_code",
                             evidence=handover_code(first))
    first.refresh_from_db()
    assert _tenders(first.meal) == [("cash", first.payable_fen, "")]

    client.post("/courier/login/", {"phone": "13600005678", "step": "send"})
    client.post("/courier/login/", {"phone": "13600005678", "code": sms.last_code("13600005678"), "step": "login"})
    page = client.get("/courier/").content.decode()
    assert 'name="tender"' in page and "应收" in page
    card = client.post(f"/courier/stops/{stops[1].pk}/deliver/", {
        "method": "handover_code", "evidence": handover_code(second), "tender": "card"}, follow=True).content.decode()
    assert "请选择收款方式" in card  # the courier carries no card reader
    client.post(f"/courier/stops/{stops[1].pk}/deliver/", {
        "method": "handover_code", "evidence": handover_code(second), "tender": "alipay"})
    second.refresh_from_db()
    assert second.meal.channel == "delivery" and _tenders(second.meal) == [("alipay", second.payable_fen, "")]


def test_a_tender_that_does_not_match_the_payable_is_refused_and_nothing_is_written(dispatch):
    d = dispatch
    order = place(d, d.wang, fulfilment="pickup")
    assert order.payable_fen > 100
    meals, audits = Meal.objects.count(), AuditLog.objects.count()
    attempts = {
        "TENDER_MISMATCH": [TenderIn("cash", order.payable_fen + 100)],
        "INPUT_INVALID": [TenderIn("wechat", order.payable_fen, "online:4200000000")],  # only a real online payment
    }
    for code, tenders in attempts.items():
        with pytest.raises(DomainError) as exc:
            order_handover(actor=d.manager, order_id=order.pk, method="handover_code",
                           evidence=handover_code(order), tenders=tenders)
        assert exc.value.code == code
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED and order.meal_id is None
    assert Reservation.objects.get(source=order.reservation_source).status == "held"
    assert (Meal.objects.count(), AuditLog.objects.count()) == (meals, audits)
    # Split tenders that add up are taken (as the API would pass them).
    meal = order_handover(actor=d.manager, order_id=order.pk, method="handover_code", evidence=handover_code(order),
                          tenders=[TenderIn("cash", 100), TenderIn("card", order.payable_fen - 100)])
    assert _tenders(meal) == [("cash", 100, ""), ("card", order.payable_fen - 100, "")]
