"""Schemathesis over every API v1 operation against a live server: generated requests, valid and
invalid, signed like a vendor's terminal signs them and unsigned. No answer may be a 5xx, and every
answer must be one the OpenAPI description allows (status, content type, body); a request the
description refuses must be refused by the server too.

Bounded and deterministic: a fixed number of examples per operation and mode, derandomised, no
shrinking (every failure is collected and reported at once instead).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from datetime import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from zhucan.api import signing

# A deeper run, when looking for trouble: ZHUCAN_FUZZ_EXAMPLES=200 pytest tests/api/test_fuzz.py
EXAMPLES_PER_MODE = int(os.environ.get("ZHUCAN_FUZZ_EXAMPLES", "7"))
# Unsigned, every request stops at the signature check (the test asserts that none gets further), so
# after a few examples per operation and mode the rest only repeat that one path.
UNSIGNED_EXAMPLES_PER_MODE = int(os.environ.get("ZHUCAN_FUZZ_EXAMPLES", "3"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
SIGNATURE_HEADERS = {signing.HEADER_KEY, signing.HEADER_TIMESTAMP, signing.HEADER_NONCE, signing.HEADER_SIGNATURE}
OPERATIONS = 16


class TerminalAuth(requests.auth.AuthBase):
    """Signs each request as sent (method, path with query, body bytes), fresh nonce each time,
    as docs/integration.md tells a vendor to."""

    def __init__(self, key_id: str, secret: str):
        self.key_id, self.secret = key_id, secret

    def __call__(self, request):
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        request.headers.update(signing.signed_headers(self.key_id, self.secret, request.method, request.path_url,
                                                      body))
        return request


@pytest.fixture
def served(live_server, world):
    """The live server with a registered terminal, a menu, an elder with a card, serving all day."""
    from tests.conftest import _system_user, bind_card
    from zhucan.api.services import terminal_register
    from zhucan.canteens.models import Dish
    from zhucan.canteens.services import canteen_set_periods

    canteen_set_periods(actor=_system_user(), canteen_id=world.canteen.pk,
                        periods=[("lunch", time(0, 0), time(23, 59))])
    Dish.objects.create(canteen=world.canteen, name="套餐", price_fen=1500)
    bind_card(world.elder, "3301000012345678")
    registered = terminal_register(actor=None, canteen=world.canteen, name="模糊测试终端", vendor="schemathesis")
    return live_server.url, registered


def as_the_terminal_sends_it(document: dict, canteen_id: int) -> dict:
    """The signed run leaves the signature headers to the signing client (generated values, valid or
    broken on purpose, would only be overwritten by the signature), and names the terminal's own
    canteen when it names one: any other is refused before the request gets further."""
    document = copy.deepcopy(document)
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["parameters"] = [p for p in operation.get("parameters", [])
                                       if p["name"] not in SIGNATURE_HEADERS]
    for schema in document["components"]["schemas"].values():
        if "canteen_id" in schema.get("properties", {}):
            schema["properties"]["canteen_id"] = {"anyOf": [{"const": canteen_id}, {"type": "null"}]}
    return document


# Refusals at the door: answered before the operation itself looks at the request.
DOOR = {"SIGNATURE_MISSING", "SIGNATURE_INVALID", "TIMESTAMP_STALE", "NONCE_REUSED", "TERMINAL_UNKNOWN",
        "TERMINAL_REVOKED", "CANTEEN_MISMATCH", "BODY_TOO_LARGE", "BAD_JSON", "IDEMPOTENCY_KEY_REQUIRED",
        "IDEMPOTENCY_KEY_INVALID"}
# A request the description allows must not be refused for its shape.
SHAPE = {"INPUT_INVALID", "BAD_JSON"}


@dataclass
class Run:
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    reached: set[str] = field(default_factory=set)  # operations a generated valid request got into


def fuzz_operation(operation, mode: GenerationMode, base_url: str, session, run: Run, examples: int) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def one(case):
        response = case.call(base_url=base_url, session=session, timeout=60)
        run.sent += 1
        problem = None
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # collect every failure with its reproduction
            problem = str(exc)
        code = response.json().get("code") if response.status_code != 200 and problem is None else None
        if mode is GenerationMode.POSITIVE and code in SHAPE:
            problem = f"a request the description allows was refused for its shape: {response.text}"
        if mode is GenerationMode.POSITIVE and problem is None and code not in DOOR:
            run.reached.add(operation.label)
        if problem is not None:
            run.failures.append(f"{operation.label} [{mode.value}] {response.status_code}: {problem}\n"
                                f"{case.as_curl_command()}")

    try:
        one()
    except Unsatisfiable:
        # Only an operation that takes no input at all (the menu, once the signing client owns the
        # headers) has no invalid input to send.
        assert mode is GenerationMode.NEGATIVE and not operation.body and not list(operation.iter_parameters())


def fuzz(schema, base_url: str, session: requests.Session, examples: int = EXAMPLES_PER_MODE) -> Run:
    run = Run()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == OPERATIONS
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz_operation(operation, mode, base_url, session, run, examples)
    # Keep-alive connections hold the live server's threads, and their database connections, open.
    session.close()
    assert run.sent >= OPERATIONS * 2
    assert run.failures == [], "\n\n".join(run.failures[:10])
    return run


# One test for both runs: each transactional test pays for its world and for emptying every table
# after it (seconds on PostgreSQL), and the two runs share the served description.
@pytest.mark.django_db(transaction=True)
def test_unsigned_and_signed_requests_to_every_operation(served):
    base_url, registered = served
    document = requests.get(f"{base_url}/api/v1/openapi.json", timeout=30).json()

    # Unsigned first (it changes nothing): nothing unsigned gets past the door.
    unsigned = fuzz(schemathesis.openapi.from_dict(copy.deepcopy(document)), base_url, requests.Session(),
                    UNSIGNED_EXAMPLES_PER_MODE)
    assert unsigned.reached == set()

    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_dict(as_the_terminal_sends_it(document, registered.terminal.canteen_id),
                                            config=config)
    session = requests.Session()
    session.auth = TerminalAuth(registered.terminal.key_id, registered.secret)
    run = fuzz(schema, base_url, session)
    # A client built from the description alone gets into every operation (the description names
    # every header the server requires).
    assert len(run.reached) == OPERATIONS, run.reached
