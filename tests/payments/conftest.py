from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from tests.payments.standin import Keys, StandIn

MORNING = datetime(2026, 3, 9, 0, 30, tzinfo=UTC)  # Monday 08:30 in Shanghai, before the 09:30 cut-off


@pytest.fixture(scope="session")
def _standin_server():
    server = StandIn(Keys()).start()
    yield server
    server.stop()


@pytest.fixture
def standin(_standin_server, settings):
    _standin_server.reset()
    for key, value in _standin_server.settings().items():
        setattr(settings, key, value)
    return _standin_server


@pytest.fixture
def family_order(world, menu, frozen_clock, standin):
    """An order for 张秀英's lunch, placed by her daughter's phone account, payable > 0."""
    from zhucan.elderphone.services import binding_create
    from zhucan.orders.menus import cutoff_set, menu_publish
    from zhucan.orders.placing import order_place, order_quote

    frozen_clock(MORNING)
    standin.now = MORNING.timestamp
    manager = world.users["canteen_manager"]
    cutoff_set(actor=manager, canteen_id=world.canteen.pk, period="lunch", cutoff=time(9, 30), delivers=False)
    offer = menu_publish(actor=manager, canteen_id=world.canteen.pk, local_date=MORNING.date(), period="lunch",
                         offers=[(menu["套餐"].pk, None)])[0]
    bound = binding_create(actor=world.users["district_admin"], elder_id=world.elder.pk, phone="13900001111",
                           relation="child", display_name="王丽", notify=False)
    account = bound.binding.account
    kwargs = {"account": account, "elder_id": world.elder.pk, "canteen_id": world.canteen.pk,
              "local_date": MORNING.date(), "period": "lunch", "lines": [(offer.pk, 2)], "fulfilment": "pickup",
              "channel": "family_phone"}
    quote = order_quote(**kwargs)
    order = order_place(**kwargs, expected_payable_fen=quote.payable_fen, idempotency_key="pay-test-1")
    world.account = account
    return order
