"""The live meal feed (/checkout/live/) names an ordered meal by how it reached the elder — 送餐上门
or 到店自提, with the code or photo that proved a delivery — not by the elder's record the ledger
notes for a handover; counter meals keep their identification method. Meals made by the orders
services, read on the console page and its poll."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import login, make_elder
from tests.orders.conftest import at
from tests.orders.test_services import place
from zhucan.checkout.services import OrderLine, meal_commit, meal_reverse
from zhucan.orders.handover import handover_code, order_handover


def _how(html: str) -> dict[str, str]:
    """{meal id: 识别方式} read from the rows' eighth cell."""
    out = {}
    for row in html.split('data-id="')[1:]:
        meal_id = row.split('"', 1)[0]
        tds = [td.split("</td>", 1)[0] for td in row.split("</tr>", 1)[0].split("<td")[1:]]
        out[meal_id] = tds[7].split(">", 1)[1]
    return out


def test_the_feed_says_how_an_ordered_meal_reached_the_elder(world, shop, menu, client):
    cashier = world.users["cashier"]
    second, third = make_elder(world.xihu_c1, name="赵玉珍"), make_elder(world.xihu_c1, name="王德明")
    by_code = place(world, shop, actor=world.users["subdistrict_staff"], fulfilment="delivery", key="d1")
    by_photo = place(world, shop, elder=second, fulfilment="delivery", key="d2", address="保俶路2号")
    picked = place(world, shop, elder=third, fulfilment="pickup", key="p1")
    shop.clock(at("2025-06-02 11:40"))
    coded = order_handover(actor=cashier, order_id=by_code.pk, method="handover_code", evidence=handover_code(by_code))
    photographed = order_handover(actor=cashier, order_id=by_photo.pk, method="photo", evidence="photo:7")
    pickup = order_handover(actor=cashier, order_id=picked.pk, method="counter")
    rice = [OrderLine(dish_id=menu["米饭"].pk, quantity=1)]
    counter = meal_commit(canteen=world.canteen, elder=world.other_elder, lines=rice, idempotency_key="c1",
                          request_digest="c1", identified_by="card", cashier=cashier).meal
    void = meal_reverse(canteen=world.canteen, receipt_no=coded.receipt_no, kind="void", idempotency_key="v1",
                        request_digest="v1", cashier=cashier, reason="送错").meal
    assert (coded.identified_by, photographed.identified_by, pickup.identified_by) == ("elder_id",) * 3

    login(client, world.users["district_admin"])
    page = client.get("/checkout/live/")
    assert page.status_code == 200
    html = page.content.decode()
    assert _how(html) == {str(void.pk): "送餐上门·交付码", str(counter.pk): "市民卡",
                          str(pickup.pk): "到店自提", str(photographed.pk): "送餐上门·拍照",
                          str(coded.pk): "送餐上门·交付码"}
    assert "档案号" not in html and "（送餐）" not in html
    # the counts by method: the voided delivery no longer counts, the others under what they were
    badges = html.split('class="by-method"')[1].split("</p>")[0]
    assert ('<span class="badge">市民卡 1</span>' in badges and '<span class="badge">到店自提 1</span>' in badges
            and '<span class="badge">送餐上门 1</span>' in badges)

    # the poll says the same, reading the proofs in one query whatever the number of rows
    shown = ",".join(str(m.pk) for m in (coded, photographed, pickup))
    with CaptureQueriesContext(connection) as two_rows:
        poll = client.get("/checkout/live/feed/", {"after": str(pickup.pk), "shown": shown})
    assert _how(poll.content.decode()) == {str(void.pk): "送餐上门·交付码", str(counter.pk): "市民卡"}
    with CaptureQueriesContext(connection) as five_rows:
        poll = client.get("/checkout/live/feed/", {"after": "0"})
    assert len(_how(poll.content.decode())) == 5
    assert len(five_rows.captured_queries) == len(two_rows.captured_queries)
