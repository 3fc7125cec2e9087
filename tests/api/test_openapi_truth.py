"""The OpenAPI description tells the truth: the headers each call needs, the status codes it can
answer, and request schemas exactly as strict as the server."""

from __future__ import annotations

import jsonschema_rs
import pytest

from .conftest import CARD

SIGNATURE = ["X-Zhucan-Key", "X-Zhucan-Timestamp", "X-Zhucan-Nonce", "X-Zhucan-Signature"]
WRITES = {"/api/v1/meals/commit", "/api/v1/meals/void", "/api/v1/meals/refund", "/api/v1/meals/report",
          "/api/v1/terminal/tests/receipt", "/api/v1/terminal/tests/identification", "/api/v1/terminal/tests/meal"}
ALWAYS = {"200", "400", "401", "403", "413", "500"}
STATUSES = {
    ("post", "/api/v1/elders/identify"): ALWAYS | {"404", "409", "503"},
    ("get", "/api/v1/elders/{elder_id}/usage"): ALWAYS | {"404", "503"},
    ("get", "/api/v1/canteen/menu"): ALWAYS,
    ("post", "/api/v1/meals/quote"): ALWAYS | {"404", "409", "422", "503"},
    ("post", "/api/v1/meals/commit"): ALWAYS | {"404", "409", "422", "503"},
    ("post", "/api/v1/meals/void"): ALWAYS | {"404", "409", "422", "503"},
    ("post", "/api/v1/meals/refund"): ALWAYS | {"404", "409", "422", "503"},
    ("post", "/api/v1/meals/report"): ALWAYS | {"404", "409", "422", "503"},
    ("post", "/api/v1/faces/identify"): ALWAYS,
    ("post", "/api/v1/faces/verify"): ALWAYS | {"404", "409"},
    ("post", "/api/v1/faces/enrol"): ALWAYS | {"404", "409"},
    ("post", "/api/v1/terminal/capabilities"): ALWAYS,
    ("post", "/api/v1/terminal/tests/receipt"): ALWAYS | {"409"},
    ("post", "/api/v1/terminal/tests/identification"): ALWAYS | {"404", "409", "503"},
    ("post", "/api/v1/terminal/tests/meal"): ALWAYS | {"404", "409", "422", "503"},
    ("post", "/api/v1/video/events"): ALWAYS | {"404", "409"},
}


@pytest.fixture
def doc(client, db):
    return client.get("/api/v1/openapi.json").json()


def operations(doc):
    return {(method, path): op for path, ops in doc["paths"].items() for method, op in ops.items()}


def test_every_operation_declares_its_headers(doc):
    for (_method, path), op in operations(doc).items():
        headers = {p["name"]: p for p in op["parameters"] if p["in"] == "header"}
        expected = SIGNATURE + (["Idempotency-Key"] if path in WRITES else [])
        assert sorted(headers) == sorted(expected), path
        assert all(h["required"] and h["description"] for h in headers.values()), path
    nonce = operations(doc)[("post", "/api/v1/meals/commit")]["parameters"]
    assert next(p for p in nonce if p["name"] == "X-Zhucan-Nonce")["schema"]["pattern"] == r"^[A-Za-z0-9_\-]{16,64}$"


def test_every_operation_lists_exactly_the_statuses_it_answers(doc):
    found = {key: set(op["responses"]) for key, op in operations(doc).items()}
    assert found == STATUSES
    for key, op in operations(doc).items():
        for status, response in op["responses"].items():
            schema = response["content"]["application/json"]["schema"]["$ref"]
            assert schema.endswith("/ErrorOut") == (status != "200"), key


def validator(doc, name):
    return jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}", "components": doc["components"]})


def refused_by_server(response) -> bool:
    # Refused for its shape, not for what it names (an unknown dish or elder is not a shape error).
    return response.status_code == 400 and response.json()["code"] in {
        "INPUT_INVALID", "EMPTY_ORDER", "BAD_QUANTITY", "AMOUNT_INVALID"}


def strictness_cases(world, menu):
    dish = menu["套餐"].pk
    line = {"dish_id": dish, "quantity": 1}
    report_line = {"name": "红烧肉", "quantity": 1, "unit_price_fen": 1500}
    caps = {"citizen_card_reader": True, "id_card_reader": True, "face": True, "card_payment": True,
            "qr_payment": True, "receipt_printer": True}
    receipt = {"receipt_no": "T1", "text": "测试小票", "printed": True}
    event = {"channel_id": 999_999, "event_id": "box-1", "type": "no_hat", "occurred_at": "2025-06-02T11:00:00+08:00",
             "snapshot_b64": "/9j/4AAQSkZJRgABAQ=="}
    return [
        # (operation, schema, body, the server and the schema refuse it)
        ("/api/v1/elders/identify", "IdentifyIn", {}, True),
        ("/api/v1/elders/identify", "IdentifyIn", {"card_number": None}, True),
        ("/api/v1/elders/identify", "IdentifyIn", {"card_number": ""}, True),
        ("/api/v1/elders/identify", "IdentifyIn", {"card_number": CARD, "elder_id": world.elder.pk}, True),
        ("/api/v1/elders/identify", "IdentifyIn", {"card_number": CARD, "pin": "1234"}, True),
        ("/api/v1/elders/identify", "IdentifyIn", {"card_number": CARD, "pin": None}, False),
        ("/api/v1/elders/identify", "IdentifyIn", {"card_number": CARD, "id_number": None}, False),
        ("/api/v1/elders/identify", "IdentifyIn", {"elder_id": world.elder.pk}, False),
        ("/api/v1/elders/identify", "IdentifyIn", {"elder_id": float(world.elder.pk)}, False),
        ("/api/v1/elders/identify", "IdentifyIn", {"elder_id": world.elder.pk + 0.5}, True),
        ("/api/v1/elders/identify", "IdentifyIn", {"elder_id": str(world.elder.pk)}, True),
        ("/api/v1/elders/identify", "IdentifyIn", {"elder_id": True}, True),
        ("/api/v1/elders/identify", "IdentifyIn", {"elder_id": 2**63}, True),
        ("/api/v1/elders/identify", "IdentifyIn", {"face_ticket": "x", "card_number": CARD}, True),
        ("/api/v1/faces/verify", "FaceVerifyIn", {"image_b64": "QUJD" * 8, "elder": {"face_ticket": "x"}}, True),
        ("/api/v1/faces/verify", "FaceVerifyIn", {"image_b64": "QUJD" * 8, "elder": {"card_number": CARD,
                                                                                      "pin": "1234"}}, True),
        ("/api/v1/faces/verify", "FaceVerifyIn", {"image_b64": "QUJD" * 8, "elder": {}}, True),
        ("/api/v1/meals/quote", "QuoteIn", {"items": []}, True),
        ("/api/v1/meals/quote", "QuoteIn", {"items": [line]}, False),
        ("/api/v1/meals/quote", "QuoteIn", {"items": [{"dish_id": dish, "quantity": 2.0}]}, False),
        ("/api/v1/meals/quote", "QuoteIn", {"items": [{"dish_id": dish, "quantity": 141.0}]}, True),
        ("/api/v1/meals/quote", "QuoteIn", {"items": [{"dish_id": dish, "quantity": 0}]}, True),
        ("/api/v1/meals/quote", "QuoteIn", {"items": [{"dish_id": dish, "quantity": 1.5}]}, True),
        ("/api/v1/meals/quote", "QuoteIn", {"items": [line], "elder": {}}, True),
        ("/api/v1/meals/quote", "QuoteIn", {"items": [line], "tip": 1}, True),
        ("/api/v1/meals/commit", "CommitIn", {"items": [line], "expected_payable_fen": 1500.0}, False),
        ("/api/v1/meals/commit", "CommitIn", {"items": [line], "expected_payable_fen": -1}, True),
        ("/api/v1/meals/report", "ReportIn", {"items": [], "benefit_fen": 0}, True),
        ("/api/v1/meals/report", "ReportIn", {"items": [{**report_line, "name": "   "}], "benefit_fen": 0}, True),
        ("/api/v1/meals/report", "ReportIn", {"items": [{**report_line, "quantity": 100}], "benefit_fen": 0}, True),
        ("/api/v1/terminal/capabilities", "CapabilitiesIn", caps, False),
        ("/api/v1/terminal/capabilities", "CapabilitiesIn", {**caps, "face": 1}, True),
        ("/api/v1/terminal/capabilities", "CapabilitiesIn", {**caps, "face": None}, True),
        ("/api/v1/terminal/capabilities", "CapabilitiesIn", {**caps, "camera": True}, True),
        ("/api/v1/terminal/tests/receipt", "ReceiptTestIn", receipt, False),
        ("/api/v1/terminal/tests/receipt", "ReceiptTestIn", {**receipt, "text": ""}, True),
        ("/api/v1/terminal/tests/receipt", "ReceiptTestIn", {**receipt, "printed": "true"}, True),
        ("/api/v1/terminal/tests/identification", "IdentifyTestIn", {"card_number": CARD}, False),
        ("/api/v1/terminal/tests/identification", "IdentifyTestIn", {}, True),
        ("/api/v1/terminal/tests/meal", "MealTestIn", {"elder": {"card_number": CARD}, "items": [line]}, False),
        ("/api/v1/terminal/tests/meal", "MealTestIn", {"items": [line]}, True),
        ("/api/v1/terminal/tests/meal", "MealTestIn", {"elder": {"card_number": CARD}, "items": []}, True),
        ("/api/v1/video/events", "EventIn", event, False),
        ("/api/v1/video/events", "EventIn", {**event, "type": "sleeping"}, True),
        ("/api/v1/video/events", "EventIn", {**event, "channel_id": "1"}, True),
        ("/api/v1/video/events", "EventIn", {**event, "channel_id": 999_999.0}, False),
        ("/api/v1/video/events", "EventIn", {**event, "event_id": ""}, True),
    ]


def test_server_and_schema_agree_on_strictness(api, doc, world, menu, carded):
    disagreements = []
    for number, (path, schema, body, refused) in enumerate(strictness_cases(world, menu)):
        by_schema = not validator(doc, schema).is_valid(body)
        response = api.post(path, body, key=f"strict-{number}")
        by_server = refused_by_server(response)
        if (by_schema, by_server) != (refused, refused):
            disagreements.append((path, body, f"schema refuses: {by_schema}", f"server: {response.status_code} "
                                  f"{response.json().get('code')}", f"expected refused: {refused}"))
    assert disagreements == []


def test_the_guide_lists_the_same_statuses_and_headers(doc):
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "integration.md").read_text(encoding="utf-8")
    rows = {}
    for line in guide.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[1].startswith("`/api/v1/"):
            rows[(cells[0].lower(), cells[1].strip("`"))] = (cells[3], cells[4], cells[5])
    assert set(rows) == set(operations(doc))
    for key, op in operations(doc).items():
        idempotency, success, others = rows[key]
        assert success.startswith("200"), key
        assert {"200", *others.split()} == set(op["responses"]), key
        declared = any(p["name"] == "Idempotency-Key" for p in op["parameters"])
        assert (idempotency == "required") == declared, key
    assert "at least 11 minutes" in guide and "`identified_by` is **optional**" in guide
