"""Every refusal of a signed request answers its code and writes nothing (no meal, no usage)."""

from __future__ import annotations

import json

import pytest

from zhucan.accounts.models import Terminal, TerminalNonce
from zhucan.api import signing
from zhucan.checkout.models import ElderDayUsage, Meal
from zhucan.core import clock

COMMIT = "/api/v1/meals/commit"


def order(menu):
    return {"items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]}


def assert_refused(response, status: int, code: str):
    assert response["Content-Type"].startswith("application/json"), response.content
    body = response.json()
    assert (response.status_code, body["code"]) == (status, code), body
    assert body["message"] and body["message_en"]
    assert Meal.objects.count() == 0 and ElderDayUsage.objects.count() == 0


def test_unsigned_request(client, terminal, lunch, menu):
    r = client.post(COMMIT, order(menu), content_type="application/json", headers={"Idempotency-Key": "k"})
    assert_refused(r, 401, "SIGNATURE_MISSING")
    assert "X-Zhucan-Key" in r.json()["message"]


@pytest.mark.parametrize("missing", ["X-Zhucan-Timestamp", "X-Zhucan-Nonce", "X-Zhucan-Signature"])
def test_each_signature_header_is_required(api, menu, missing):
    r = api.post(COMMIT, order(menu), key="k", headers={missing: ""})
    assert_refused(r, 401, "SIGNATURE_MISSING")


def test_wrong_signature(api, menu):
    assert_refused(api.post(COMMIT, order(menu), key="k", sign_with="not-the-secret"), 401, "SIGNATURE_INVALID")
    assert_refused(api.post(COMMIT, order(menu), key="k", headers={"X-Zhucan-Signature": "zz"}), 401,
                   "SIGNATURE_INVALID")
    assert not TerminalNonce.objects.exists()  # a bad signature does not even use up its nonce


def test_tampered_body_or_path(api, client, menu, terminal):
    body = json.dumps(order(menu)).encode()
    ts = int(clock.now().timestamp())
    headers = signing.signed_headers(terminal.key_id, terminal.secret, "POST", COMMIT, body, timestamp=ts)
    tampered = body.replace(b'"quantity": 1', b'"quantity": 2')
    r = client.post(COMMIT, tampered, content_type="application/json", headers={**headers, "Idempotency-Key": "k"})
    assert_refused(r, 401, "SIGNATURE_INVALID")
    headers = signing.signed_headers(terminal.key_id, terminal.secret, "POST", COMMIT, body, timestamp=ts)
    r = client.post(COMMIT + "?canteen_id=1", body, content_type="application/json",
                    headers={**headers, "Idempotency-Key": "k"})
    assert_refused(r, 401, "SIGNATURE_INVALID")


@pytest.mark.parametrize("offset", [-301, 301, -3600])
def test_stale_timestamp(api, menu, offset):
    ts = int(clock.now().timestamp()) + offset
    assert_refused(api.post(COMMIT, order(menu), key="k", timestamp=ts), 401, "TIMESTAMP_STALE")


def test_timestamp_within_window_is_accepted(api, menu):
    ts = int(clock.now().timestamp()) - 299
    assert api.post(COMMIT, order(menu), key="k", timestamp=ts).status_code == 200


def test_reused_nonce(api, menu):
    first = api.get("/api/v1/canteen/menu", nonce="n-0123456789abcdef")
    assert first.status_code == 200
    assert_refused(api.post(COMMIT, order(menu), key="k", nonce="n-0123456789abcdef"), 401, "NONCE_REUSED")


def test_bad_nonce_shape(api, menu):
    assert_refused(api.post(COMMIT, order(menu), key="k", nonce="short"), 401, "SIGNATURE_INVALID")


def test_unknown_terminal(api, menu):
    api.key_id = "tk_does_not_exist"
    assert_refused(api.post(COMMIT, order(menu), key="k"), 401, "TERMINAL_UNKNOWN")


def test_revoked_terminal(api, menu, terminal):
    from zhucan.api.services import terminal_revoke

    terminal_revoke(actor=None, key_id=terminal.key_id)
    assert_refused(api.post(COMMIT, order(menu), key="k"), 403, "TERMINAL_REVOKED")
    assert_refused(api.get("/api/v1/canteen/menu"), 403, "TERMINAL_REVOKED")


def test_other_canteen(api, menu, world):
    assert_refused(api.post(COMMIT, {**order(menu), "canteen_id": world.other_canteen.pk}, key="k"), 403,
                   "CANTEEN_MISMATCH")
    assert_refused(api.get(f"/api/v1/canteen/menu?canteen_id={world.other_canteen.pk}"), 403, "CANTEEN_MISMATCH")
    # Naming its own canteen is fine.
    assert api.get(f"/api/v1/canteen/menu?canteen_id={world.canteen.pk}").status_code == 200


def test_receipt_of_another_canteen_is_not_found(api, menu, world):
    from zhucan.canteens.models import Dish
    from zhucan.checkout.services import OrderLine, meal_commit

    dish = Dish.objects.create(canteen=world.other_canteen, name="套餐", price_fen=1500)
    other = meal_commit(canteen=world.other_canteen, elder=None, lines=[OrderLine(dish_id=dish.pk, quantity=1)],
                        idempotency_key="x", request_digest="x").meal
    r = api.post("/api/v1/meals/void", {"receipt_no": other.receipt_no}, key="v")
    assert (r.status_code, r.json()["code"]) == (404, "MEAL_NOT_FOUND")
    assert Meal.objects.count() == 1


def test_body_too_large(api, menu, settings):
    settings.ZHUCAN_API_MAX_BODY_BYTES = 1024
    big = {**order(menu), "pad": "x" * 2000}
    assert_refused(api.post(COMMIT, big, key="k"), 413, "BODY_TOO_LARGE")


def test_default_body_limit_is_64_kib(api, menu):
    big = {**order(menu), "pad": "x" * (64 * 1024)}
    assert_refused(api.post(COMMIT, big, key="k"), 413, "BODY_TOO_LARGE")


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_malformed_json(api, raw):
    assert_refused(api.post(COMMIT, raw=raw, key="k"), 400, "BAD_JSON")


def test_missing_and_bad_idempotency_key(api, menu):
    assert_refused(api.post(COMMIT, order(menu)), 400, "IDEMPOTENCY_KEY_REQUIRED")
    assert_refused(api.post("/api/v1/meals/report", {"items": [], "benefit_fen": 0}), 400,
                   "IDEMPOTENCY_KEY_REQUIRED")
    assert_refused(api.post("/api/v1/meals/void", {"receipt_no": "C1"}), 400, "IDEMPOTENCY_KEY_REQUIRED")
    assert_refused(api.post(COMMIT, order(menu), key="x" * 81), 400, "IDEMPOTENCY_KEY_INVALID")


def test_validation_errors_use_our_shape(api, menu):
    r = api.post(COMMIT, {"items": [{"dish_id": menu["套餐"].pk}]}, key="k")
    assert_refused(r, 400, "INPUT_INVALID")
    assert r.json()["field"] == "items.0.quantity" and "缺少" in r.json()["message"]
    r = api.post(COMMIT, {**order(menu), "tenders": [{"kind": "bitcoin", "amount_fen": 1500}]}, key="k")
    assert_refused(r, 400, "INPUT_INVALID")
    assert r.json()["field"] == "tenders.0.kind"


def test_unknown_route_and_wrong_method_answer_json(api, client):
    r = client.get("/api/v1/no/such/thing")
    assert (r.status_code, r.json()["code"]) == (404, "NOT_FOUND")
    r = api.get("/api/v1/meals/commit")
    assert (r.status_code, r.json()["code"]) == (405, "METHOD_NOT_ALLOWED")
    assert "POST" in r["Allow"]
    r = client.delete("/api/v1/canteen/menu")
    assert (r.status_code, r.json()["code"]) == (405, "METHOD_NOT_ALLOWED")


def test_nonces_are_pruned_after_the_window(api, settings, frozen_clock):
    from datetime import timedelta

    settings.ZHUCAN_API_NONCE_PRUNE_PROBABILITY = 1.0
    assert api.get("/api/v1/canteen/menu").status_code == 200
    assert TerminalNonce.objects.count() == 1
    frozen_clock(clock.now() + timedelta(minutes=30))
    assert api.get("/api/v1/canteen/menu").status_code == 200
    assert TerminalNonce.objects.count() == 1  # the old one is gone, the new one recorded
    assert Terminal.objects.get(key_id=api.key_id).last_seen_at == clock.now()


def test_api_root_answers_json(client, db):
    r = client.get("/api/v1/")
    assert (r.status_code, r.json()["code"]) == (404, "NOT_FOUND")


def test_terminal_rows_read_on_every_request_even_when_reused(api, menu, terminal, world):
    """On PostgreSQL a process reuses the terminal, canteen and region instances while their rows
    are unchanged; a revocation or a canteen change in between is still seen at once."""
    from django.db import connection
    from django.db.models import F

    from zhucan.api import auth
    from zhucan.api.services import terminal_revoke
    from zhucan.canteens.models import Canteen

    quote = {"elder": None, "items": order(menu)["items"]}
    assert api.post("/api/v1/meals/quote", quote).status_code == 200  # the process learns the secret
    assert api.post("/api/v1/meals/quote", quote).status_code == 200
    first = auth._built.get(terminal.key_id)
    assert api.post("/api/v1/meals/quote", quote).status_code == 200
    if connection.vendor == "postgresql":
        assert first is not None and auth._built[terminal.key_id][1] is first[1]  # reused
    else:
        assert first is None  # SQLite reads the terminal through the ordinary path
    # As canteen_update does: the row changes and its config_version moves on.
    Canteen.objects.filter(pk=world.canteen.pk).update(status="suspended", config_version=F("config_version") + 1)
    assert_refused(api.post("/api/v1/meals/quote", quote), 422, "CANTEEN_NOT_OPEN")
    Canteen.objects.filter(pk=world.canteen.pk).update(status="open", config_version=F("config_version") + 1)
    assert api.post("/api/v1/meals/quote", quote).status_code == 200
    terminal_revoke(actor=None, key_id=terminal.key_id)
    assert_refused(api.post("/api/v1/meals/quote", quote), 403, "TERMINAL_REVOKED")
