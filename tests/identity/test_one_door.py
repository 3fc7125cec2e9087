"""One door for identification: the cashier page, API v1 and the pages still to come identify an
elder through `zhucan.identity.identification`, with the identity app's error codes and messages.
The same card or code gets the same answer on every channel, and an elder of another city is
found on none (HZ-5: a canteen serves the elders of its own city)."""

from __future__ import annotations

import re

import pytest

from tests.api import conftest as api_fixtures
from tests.checkout.conftest import at
from tests.checkout.test_cashier_views import Till, message
from tests.conftest import _system_user, login, make_elder
from zhucan.core.errors import DomainError
from zhucan.identity import services
from zhucan.identity.models import QrUse

CARD = "330100123456789012"
LC_CARD = "3715000000000042"
api, lunch, terminal = api_fixtures.api, api_fixtures.lunch, api_fixtures.terminal


@pytest.fixture
def till(world, menu, client, frozen_clock, settings, tmp_path):
    settings.ZHUCAN_RECEIPT_PRINTER = f"file://{tmp_path}/{{receipt_no}}.bin"
    frozen_clock(at("2025-06-02 11:30"))
    return Till(login(client, world.users["cashier"]))


@pytest.fixture
def lc_elder(world):
    """An elder of 聊城市 with a bound citizen card: not an elder of the Hangzhou canteens."""
    elder = make_elder(world.lc_c1, name="王桂芝")
    services.card_bind(actor=_system_user(), elder_id=elder.pk, number=LC_CARD)
    return elder


def _code(html: str) -> str:
    m = re.search(r'data-code="([A-Z_]+)"', html)
    return m[1] if m else ""


@pytest.mark.parametrize("typed", ["!!", "3301000099999999", LC_CARD])
def test_the_cashier_page_and_the_api_refuse_a_card_alike(till, api, world, lc_elder, typed):
    html = till.post("identify", ident=typed)
    answer = api.post("/api/v1/elders/identify", {"card_number": typed})
    assert answer.status_code == 404
    assert (_code(html), message(html)) == (answer.json()["code"], answer.json()["message"])
    assert answer.json()["code"] == "CARD_UNKNOWN" and till.state["customer"] == ""


def test_the_cashier_page_does_not_use_up_the_code_of_an_elder_of_another_city(till, world, lc_elder):
    token, _expires = services.elder_qr_issue(elder=lc_elder)
    html = till.post("identify", ident=token)
    assert _code(html) == "ELDER_NOT_FOUND" and till.state["customer"] == ""
    assert not QrUse.objects.exists()  # still usable where the elder belongs


def test_a_new_channel_identifies_by_every_method_through_the_door(world, lunch, staff):
    from zhucan.identity import identification

    canteen = world.canteen
    services.card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    services.elder_pin_set(actor=staff, elder_id=world.elder.pk, pin="2468")
    by_card = identification.identify(canteen=canteen, card_number=f";{CARD}?")
    by_id = identification.identify(canteen=canteen, id_number=world.elder.plain_id_number)
    by_pk = identification.identify(canteen=canteen, elder_id=world.elder.pk)
    assert [(i.elder.pk, i.method) for i in (by_card, by_id, by_pk)] == [
        (world.elder.pk, "card"), (world.elder.pk, "id_number"), (world.elder.pk, "elder_id")]

    token, _expires = services.elder_qr_issue(elder=world.elder)
    checked = identification.identify(canteen=canteen, qr_token=token)
    assert (checked.elder.pk, checked.method) == (world.elder.pk, "qr") and not QrUse.objects.exists()
    identification.identify(canteen=canteen, qr_token=token, consume=True)
    with pytest.raises(DomainError) as used:
        identification.identify(canteen=canteen, qr_token=token)
    assert used.value.code == "QR_ALREADY_USED"

    printed, _code_row = services.card_code_issue(actor=staff, elder_id=world.elder.pk)
    pending = identification.identify(canteen=canteen, qr_token=printed, factor_later=True)
    assert pending.method == "qr_card" and pending.pending == "photo"  # the canteen's default factor
    with pytest.raises(DomainError) as required:
        identification.identify(canteen=canteen, qr_token=printed)
    assert required.value.code == "QR_SECOND_FACTOR_REQUIRED" and required.value.http_status == 409
    confirmed = identification.identify(canteen=canteen, qr_token=printed, pin="2468")
    assert (confirmed.method, confirmed.pending) == ("qr_card", "")

    with pytest.raises(DomainError) as other_city:
        identification.identify(canteen=canteen, elder_id=make_elder(world.lc_c1).pk)
    assert other_city.value.code == "ELDER_NOT_FOUND" and other_city.value.http_status == 404


def test_identification_refusals_are_defined_once_in_the_identity_app():
    from zhucan.api.errors import API_ERRORS
    from zhucan.checkout.errors import _MESSAGES as CHECKOUT_ERRORS
    from zhucan.identity.errors import API_CODES, CODES

    assert API_CODES <= CODES
    assert not API_CODES & (set(API_ERRORS) | set(CHECKOUT_ERRORS))
