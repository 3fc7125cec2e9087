"""Kitchen and dispatch: diet notes, the board's figures, the production sheet and labels (PDF
text and ESC/POS bytes), routes with a remembered order, the courier's flows and refusals, and the
family's SMS through the SMS backend."""

import io
from datetime import timedelta

import pytest
from escpos.printer import Dummy
from pypdf import PdfReader

from tests.conftest import login
from tests.delivery.conftest import MONDAY_8AM, place
from zhucan.core.errors import DomainError
from zhucan.core.models import AuditLog
from zhucan.delivery import printing, selectors, services
from zhucan.delivery.models import StopMemory, StopStatus
from zhucan.elderphone import sms
from zhucan.elders.services import elder_set_diet
from zhucan.orders.handover import handover_code
from zhucan.orders.models import MenuOffer, OrderStatus

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_diet_notes_are_audited_and_refuse_unknown_choices(dispatch):
    d = dispatch
    d.zhang.refresh_from_db()
    assert d.zhang.diet_summary == "低盐、软烂；过敏：花生"
    row = AuditLog.objects.filter(action="elder.diet", object_id=str(d.zhang.pk)).get()
    assert row.after == {"diet_notes": ["low_salt", "soft"], "allergies": "花生"}
    with pytest.raises(DomainError) as exc:
        elder_set_diet(actor=d.world.users["subdistrict_staff"], elder_id=d.zhang.pk, notes=["raw_fish"])
    assert exc.value.code == "ELDER_DIET_UNKNOWN"
    with pytest.raises(DomainError):  # a canteen cannot edit the elder's record
        elder_set_diet(actor=d.manager, elder_id=d.zhang.pk, notes=["low_sugar"])
    d.zhang.refresh_from_db()
    assert d.zhang.diet_notes == ["low_salt", "soft"]


def test_board_figures_sheet_and_labels(dispatch, client):
    d = dispatch
    place(d, d.zhang, qty=1)
    place(d, d.wang, fulfilment="pickup", qty=2)
    place(d, d.wang, fulfilment="pickup", dish="米饭", qty=1, key="rice")
    board = selectors.board(canteen=d.canteen, local_date=d.day, period="lunch")
    assert (board.pickup, board.delivery) == (2, 1)
    assert board.portions == [("套餐", 3), ("米饭", 1)]
    assert [o.elder_id for o in board.unassigned] == [d.zhang.pk]

    sheet = _text(printing.sheet_pdf(d.canteen, d.day, "lunch", "午餐"))
    assert "保俶长者食堂 生产单" in sheet and "套餐" in sheet and "3" in sheet
    assert "低盐、软烂；过敏：花生" in sheet
    assert "张秀英" not in sheet and "张*英" in sheet  # masked names on paper
    labels = _text(printing.labels_pdf(d.canteen, d.day, "lunch", "午餐"))
    assert "保俶路12号3单元" in labels and "过敏：花生" in labels and "送餐上门" in labels

    printer = Dummy()
    printing.print_labels(d.canteen, d.day, "lunch", "午餐", printer)
    raw = printer.output
    assert raw.count(b"\x1dV") == 3  # one cut per label
    assert "饮食：低盐、软烂；过敏：花生".encode("gb18030") in raw

    login(client, d.manager)
    page = client.get("/orders/board/?period=lunch").content.decode()
    assert 'id="pickup-count">2<' in page and 'id="delivery-count">1<' in page and "低盐、软烂" in page
    response = client.get("/orders/board/sheet.pdf?period=lunch")
    assert response["Content-Type"] == "application/pdf"
    assert AuditLog.objects.filter(action="delivery.sheet.export").count() == 1
    login(client, d.district)
    overview = client.get("/orders/board/").content.decode()
    assert "保俶长者食堂" in overview


def test_route_order_is_remembered_for_the_next_day(dispatch, frozen_clock):
    d = dispatch
    a, b = place(d, d.zhang), place(d, d.wang)
    route = services.route_create(actor=d.manager, canteen_id=d.canteen.pk, local_date=d.day, period="lunch",
                                  name="一号线", courier_id=d.courier.pk)
    services.route_assign(actor=d.manager, route_id=route.pk, order_id=a.pk)
    second = services.route_assign(actor=d.manager, route_id=route.pk, order_id=b.pk)
    services.stop_move(actor=d.manager, stop_id=second.pk, direction="up")
    assert [s.order_id for s in route.stops.order_by("seq")] == [b.pk, a.pk]
    assert StopMemory.objects.get(elder=d.wang).seq == 1
    with pytest.raises(DomainError) as exc:
        services.route_create(actor=d.manager, canteen_id=d.canteen.pk, local_date=d.day, period="lunch",
                              name="二号线", courier_id=d.other_courier.pk)
    assert exc.value.code == "COURIER_OTHER_CANTEEN"

    # next day: orders arrive in the other order; preparing follows the remembered one
    from zhucan.orders.menus import menu_publish

    tomorrow = d.day + timedelta(days=1)
    menu_publish(actor=d.manager, canteen_id=d.canteen.pk, local_date=tomorrow, period="lunch",
                 offers=[(d.offers["套餐"].dish_id, 50)], delivers=True)
    d.day = tomorrow
    d.offers = {o.name: o for o in MenuOffer.objects.filter(canteen=d.canteen, local_date=tomorrow)}
    a2, b2 = place(d, d.zhang, key="t1"), place(d, d.wang, key="t2")
    assert services.routes_prepare(actor=d.manager, canteen_id=d.canteen.pk, local_date=tomorrow, period="lunch") == 2
    new_route = d.canteen.routes.get(local_date=tomorrow)
    assert new_route.courier_id == d.courier.pk
    assert [s.order_id for s in new_route.stops.order_by("seq")] == [b2.pk, a2.pk]


def test_courier_delivers_with_code_and_family_gets_sms(dispatch, client):
    d = dispatch
    order = place(d, d.zhang)
    route = services.route_create(actor=d.manager, canteen_id=d.canteen.pk, local_date=d.day, period="lunch",
                                  name="一号线", courier_id=d.courier.pk)
    stop = services.route_assign(actor=d.manager, route_id=route.pk, order_id=order.pk)
    sms.outbox_clear()

    # log in on the courier page with phone and SMS code
    client.post("/courier/login/", {"phone": "13600005678", "step": "send"})
    code = sms.last_code("13600005678")
    assert code is not None
    assert client.post("/courier/login/", {"phone": "13600005678", "code": code, "step": "login"}).status_code == 302
    page = client.get("/courier/").content.decode()
    assert "保俶路12号3单元" in page and "低盐、软烂；过敏：花生" in page and "13900001111" not in page

    shown = client.post(f"/courier/stops/{stop.pk}/phone/").content.decode()
    assert 'href="tel:13900001111"' in shown
    assert AuditLog.objects.filter(action="delivery.reveal_phone", object_id=str(d.zhang.pk)).count() == 1

    client.post(f"/courier/stops/{stop.pk}/pickup/")
    wrong = client.post(f"/courier/stops/{stop.pk}/deliver/", {"method": "handover_code", "evidence": "000000"},
                        follow=True).content.decode()
    assert "交付码不正确" in wrong
    stop.refresh_from_db()
    assert stop.status == StopStatus.PICKED_UP
    client.post(f"/courier/stops/{stop.pk}/deliver/", {"method": "handover_code", "evidence": handover_code(order)})
    stop.refresh_from_db()
    order.refresh_from_db()
    assert stop.status == StopStatus.DELIVERED and order.status == OrderStatus.HANDED_OVER
    assert order.meal.channel == "delivery"
    family = sms.outbox("13700001234")
    assert [m.template_code for m in family] == ["DELIVERY_DONE"]
    assert "已于08:00送达" in family[0].text and "张秀英" not in family[0].text


def test_courier_refusals_and_failure(dispatch):
    d = dispatch
    order = place(d, d.zhang)
    other = place(d, d.wang)
    route = services.route_create(actor=d.manager, canteen_id=d.canteen.pk, local_date=d.day, period="lunch",
                                  name="一号线", courier_id=d.courier.pk)
    stop = services.route_assign(actor=d.manager, route_id=route.pk, order_id=order.pk)
    unassigned_route = services.route_create(actor=d.manager, canteen_id=d.canteen.pk, local_date=d.day,
                                             period="lunch", name="二号线")
    stop2 = services.route_assign(actor=d.manager, route_id=unassigned_route.pk, order_id=other.pk)
    with pytest.raises(DomainError) as exc:  # another canteen's courier
        services.courier_deliver(courier=d.other_courier, stop_id=stop.pk, method="handover_code",
                                 evidence=handover_code(order))
    assert exc.value.code == "COURIER_WRONG_CANTEEN" and exc.value.message_zh == "这不是您所在食堂的订单，不能确认"
    with pytest.raises(DomainError) as exc:  # a stop on a route not given to this courier
        services.courier_reveal_phone(courier=d.courier, stop_id=stop2.pk)
    assert exc.value.code == "COURIER_NOT_ASSIGNED"
    with pytest.raises(DomainError) as exc:
        services.courier_fail(courier=d.courier, stop_id=stop.pk, reason="  ")
    assert exc.value.code == "ORDER_FAIL_REASON_REQUIRED"
    sms.outbox_clear()
    services.courier_fail(courier=d.courier, stop_id=stop.pk, reason="家中无人")
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED
    assert "未能送达：家中无人" in sms.outbox("13700001234")[0].text
    with pytest.raises(DomainError) as exc:
        services.courier_deliver(courier=d.courier, stop_id=stop.pk, method="handover_code",
                                 evidence=handover_code(order))
    assert exc.value.code == "STOP_DONE"
    with pytest.raises(DomainError) as exc:  # pickup orders never go on a route
        services.route_assign(actor=d.manager, route_id=route.pk,
                              order_id=place(d, d.wang, fulfilment="pickup", dish="米饭", key="p").pk)
    assert exc.value.code == "ROUTE_NOT_DELIVERY"


def test_courier_login_refuses_a_wrong_code(dispatch, client):
    client.post("/courier/login/", {"phone": "13600005678", "step": "send"})
    page = client.post("/courier/login/", {"phone": "13600005678", "code": "999999x", "step": "login"})
    assert "验证码不正确或已过期" in page.content.decode()
    assert client.get("/courier/").status_code == 302
    assert MONDAY_8AM.hour == 8


def test_board_actions_through_the_pages_and_other_canteens(dispatch, client):
    d = dispatch
    order = place(d, d.zhang)
    pickup = place(d, d.wang, fulfilment="pickup", key="pick")
    route = services.route_create(actor=d.manager, canteen_id=d.canteen.pk, local_date=d.day, period="lunch",
                                  name="一号线", courier_id=d.courier.pk)
    body = {"date": d.day.isoformat(), "period": "lunch"}
    login(client, d.other_manager)  # another canteen: its routes, stops and orders answer as missing
    assigned = client.post("/orders/board/routes/assign/", {**body, "route": route.pk, "order": order.pk})
    assert assigned.status_code == 404
    assert client.post("/orders/board/handover/", {**body, "order": pickup.pk, "method": "handover_code",
                                                   "evidence": handover_code(pickup)}).status_code == 404
    login(client, d.manager)
    client.post("/orders/board/routes/assign/", {**body, "route": route.pk, "order": order.pk})
    stop = route.stops.get()
    login(client, d.other_manager)
    assert client.post(f"/orders/board/stops/{stop.pk}/move/", {**body, "direction": "up"}).status_code == 404
    login(client, d.manager)
    page = client.post("/orders/board/handover/", {**body, "order": pickup.pk, "method": "handover_code",
                                                   "evidence": "123"}, follow=True).content.decode()
    assert "交付码不正确" in page
    client.post("/orders/board/handover/", {**body, "order": pickup.pk, "method": "handover_code",
                                            "evidence": handover_code(pickup)})
    pickup.refresh_from_db()
    assert pickup.status == OrderStatus.HANDED_OVER and pickup.meal.channel == "pickup"
    assert client.post("/orders/board/labels/print/", body).status_code == 302
