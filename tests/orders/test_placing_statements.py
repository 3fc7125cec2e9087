"""An order placement in statements (issue 17's benchmark, docs/performance.md): everything is read
before the transaction, the day-usage row is locked after the order and its lines are written,
and a quote writes nothing. Counted on the database the suite runs on (PostgreSQL locks the usage
row in one upsert; the ORM path on SQLite inserts-if-missing, then reads it)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.orders.conftest import DAY
from zhucan.orders.placing import order_place, order_quote


def _sql(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]


def test_a_delivery_placement_reads_first_and_locks_last(world, shop):
    staff = world.users["subdistrict_staff"]
    kw = dict(actor=staff, elder_id=world.elder.pk, canteen_id=world.canteen.pk, local_date=DAY, period="lunch",
              lines=[(shop.set.pk, 1)], fulfilment="delivery", channel="staff")
    with CaptureQueriesContext(connection) as quoted:
        quote = order_quote(**kw)
    assert not [s for s in _sql(quoted) if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    with CaptureQueriesContext(connection) as placed:
        order = order_place(**kw, expected_payable_fen=quote.payable_fen, idempotency_key="s1")
    sql = _sql(placed)
    # canteen + replay key, elder + tags, offers + cut-off, coverage; order, line; usage lock (1 or 2);
    # usage update, portions, reservation, amounts, audit
    assert len(sql) == (12 if connection.vendor == "postgresql" else 13), "\n".join(s[:120] for s in sql)
    first_write = next(i for i, s in enumerate(sql) if s.lstrip().upper().startswith("INSERT"))
    assert first_write == 4 and "orders_order" in sql[first_write]
    lock = next(i for i, s in enumerate(sql) if "checkout_elderdayusage" in s)
    assert lock == 6 and "orders_orderline" in sql[5]
    assert (order.payable_fen, order.benefit_fen, shop.set.__class__.objects.get(pk=shop.set.pk).portions_taken) \
        == (quote.payable_fen, 450, 1)
    with CaptureQueriesContext(connection) as replayed:
        again = order_place(**kw, expected_payable_fen=quote.payable_fen, idempotency_key="s1")
    assert again.pk == order.pk and len(_sql(replayed)) == 2  # the canteen with the key, then the order
