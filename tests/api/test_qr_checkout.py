"""Checkout through API v1 with the elder QR code (HZ-9 码): verified offline-style with the
platform's keys, used up by the commit only, once; a retry of the same commit still replays."""

from zhucan.checkout.models import Meal
from zhucan.identity.models import QrUse
from zhucan.identity.services import elder_qr_issue


def test_quote_then_commit_with_a_qr_code(api, menu, world):
    token, _ = elder_qr_issue(elder=world.elder)
    body = {"elder": {"qr_token": token}, "items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]}
    quote = api.post("/api/v1/meals/quote", body)
    assert quote.status_code == 200 and quote.json()["benefit_fen"] == 450
    assert not QrUse.objects.exists()  # quoting does not use the code
    done = api.post("/api/v1/meals/commit", body, key="qr-1")
    assert done.status_code == 200, done.content
    assert Meal.objects.get().identified_by == "qr" and QrUse.objects.count() == 1
    replay = api.post("/api/v1/meals/commit", body, key="qr-1")  # a retry after a lost answer
    assert replay.status_code == 200 and replay.json()["replayed"] is True
    reuse = api.post("/api/v1/meals/commit", body, key="qr-2")  # the same code for another meal
    assert reuse.status_code == 409 and reuse.json()["code"] == "QR_ALREADY_USED"
    assert Meal.objects.count() == 1


def test_a_refused_commit_gives_the_code_back(api, menu, world):
    token, _ = elder_qr_issue(elder=world.elder)
    bad = {"elder": {"qr_token": token}, "items": [{"dish_id": menu["套餐"].pk, "quantity": 1}],
           "expected_payable_fen": 1}  # the quote changed → refused inside the transaction
    refused = api.post("/api/v1/meals/commit", bad, key="qr-3")
    assert refused.status_code == 409 and refused.json()["code"] == "QUOTE_CHANGED"
    assert not QrUse.objects.exists()
    ok = {"elder": {"qr_token": token}, "items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]}
    assert api.post("/api/v1/meals/commit", ok, key="qr-4").status_code == 200


def test_a_forged_code_is_refused(api, menu, world):
    token, _ = elder_qr_issue(elder=world.elder)
    forged = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    r = api.post("/api/v1/meals/quote", {"elder": {"qr_token": forged},
                                         "items": [{"dish_id": menu["套餐"].pk, "quantity": 1}]})
    assert r.status_code == 400 and r.json()["code"] in {"QR_BAD_SIGNATURE", "QR_MALFORMED"}
