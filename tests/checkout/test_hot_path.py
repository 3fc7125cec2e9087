"""The lunch-rush path in statements: one signed API quote + commit, on PostgreSQL and SQLite.

benchmarks/checkout_ceiling.sql replays exactly the PostgreSQL list below with pgbench; a change
here must be made there too (and a regression, e.g. an ORM query creeping back in, shows here
first). Kinds, not timings: each captured statement is named by what it does.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api import conftest as api_fixtures
from tests.api.conftest import CARD

# The signed API client and the carded elder of tests/api (the menu is tests/checkout's).
api, carded, lunch, terminal = api_fixtures.api, api_fixtures.carded, api_fixtures.lunch, api_fixtures.terminal

_KINDS = [
    (r"^WITH tr AS \(SELECT .* FROM accounts_terminal t JOIN canteens_canteen c .*"
     r"INSERT INTO accounts_terminalnonce .* ON CONFLICT", "terminal+nonce"),
    (r"^SELECT .* FROM accounts_terminal t JOIN canteens_canteen c .* WHERE t.key_id = ", "terminal"),
    (r"^INSERT INTO accounts_terminalnonce .* ON CONFLICT .* DO NOTHING", "nonce"),
    (r"^SELECT .* FROM elders_tag tg JOIN elders_elder_tags et .* FROM elders_elder e JOIN regions_region m "
     r".*LEFT JOIN checkout_elderdayusage u .* WHERE e\.\"id\" IN \(SELECT c\.\"elder_id\" FROM identity_citizencard c "
     r"WHERE c\.\"number_index\" = ", "elder+tags+usage"),
    (r"^SELECT .* FROM elders_tag tg JOIN elders_elder_tags et .* FROM elders_elder e JOIN regions_region m "
     r"[^(]* WHERE e\.\"id\" IN \(SELECT c\.\"elder_id\" FROM identity_citizencard c "
     r"WHERE c\.\"number_index\" = ", "elder+tags"),
    (r"^SELECT id, request_digest FROM checkout_meal WHERE canteen_id = ", "idempotency probe"),
    (r"^SAVEPOINT ", "begin"),
    (r"^RELEASE SAVEPOINT ", "commit"),
    (r"^WITH u AS \( ?INSERT INTO checkout_elderdayusage .* ON CONFLICT .* RETURNING id, usage, meals ?\), c AS \( ?"
     r"INSERT INTO checkout_canteenchain .* ON CONFLICT .* RETURNING seq, head_hash ?\) SELECT",
     "usage+chain upsert-lock"),
    (r"^INSERT INTO checkout_elderdayusage .* ON CONFLICT .* RETURNING id, usage, meals", "usage upsert-lock"),
    (r"^INSERT INTO checkout_canteenchain .* ON CONFLICT .* RETURNING seq, head_hash", "chain upsert-lock"),
    (r"^WITH m AS \( INSERT INTO checkout_meal .* INSERT INTO checkout_mealitem .* INSERT INTO checkout_benefitline"
     r" .* INSERT INTO checkout_tender .* UPDATE checkout_elderdayusage .* UPDATE checkout_canteenchain", "write"),
    (r"^WITH p AS \(SELECT .*INSERT INTO checkout_canteendayrollup .*INSERT INTO checkout_benefitruledayrollup"
     r" .*INSERT INTO checkout_eldermonthrollup .*INSERT INTO checkout_communitydayrollup .*SELECT 1$", "roll-ups"),
    (r"^WITH p AS \(SELECT .*INSERT INTO checkout_canteenmonthrollup .*INSERT INTO checkout_benefitrulemonthrollup"
     r" .*INSERT INTO checkout_canteenmonthtotalrollup .*SELECT 1$", "month roll-ups"),
    (r"^WITH v AS \(SELECT .*INSERT INTO checkout_districtdayrollup .*INSERT INTO checkout_districtmonthrollup"
     r" .*INSERT INTO checkout_districtresidentdayrollup .*INSERT INTO checkout_elderyearrollup .*SELECT 1$",
     "district roll-ups"),
    (r'^INSERT OR IGNORE INTO "checkout_elderdayusage"', "usage insert-if-missing"),
    (r'^SELECT .* FROM "checkout_elderdayusage" WHERE .* LIMIT 21$', "usage read (lock)"),
    (r'^INSERT OR IGNORE INTO "checkout_canteenchain"', "chain insert-if-missing"),
    (r'^SELECT .* FROM "checkout_canteenchain" WHERE .* LIMIT 21$', "chain read (lock)"),
    (r'^INSERT INTO "checkout_meal" ', "meal insert"),
    (r'^INSERT INTO "checkout_mealitem" ', "items insert"),
    (r'^INSERT INTO "checkout_benefitline" ', "benefit lines insert"),
    (r'^INSERT INTO "checkout_tender" ', "tenders insert"),
    (r'^UPDATE "checkout_canteenchain" ', "chain update"),
    (r'^UPDATE "checkout_elderdayusage" ', "usage update"),
    (r"^INSERT INTO checkout_canteendayrollup .* ON CONFLICT", "canteen-day roll-up"),
    (r"^INSERT INTO checkout_canteenmonthrollup .* ON CONFLICT", "canteen-month roll-up"),
    (r"^INSERT INTO checkout_benefitrulemonthrollup .* ON CONFLICT", "rule-month roll-up"),
    (r"^INSERT INTO checkout_benefitruledayrollup .* ON CONFLICT", "rule-day roll-up"),
    (r"^INSERT INTO checkout_eldermonthrollup .* ON CONFLICT", "elder-month roll-up"),
    (r"^INSERT INTO checkout_communitydayrollup .* ON CONFLICT", "community-day roll-up"),
    (r"^INSERT INTO checkout_canteenmonthtotalrollup .* ON CONFLICT", "canteen-total roll-up"),
    (r"^INSERT INTO checkout_districtdayrollup .* ON CONFLICT", "district-day roll-up"),
    (r"^INSERT INTO checkout_districtmonthrollup .* ON CONFLICT", "district-month roll-up"),
    (r"^INSERT INTO checkout_districtresidentdayrollup .* ON CONFLICT", "resident-day roll-up"),
    (r"^INSERT INTO checkout_elderyearrollup .* ON CONFLICT", "elder-year roll-up"),
]

POSTGRESQL = [
    # quote
    "terminal+nonce", "elder+tags+usage",
    # commit
    "terminal+nonce", "elder+tags", "idempotency probe",
    "begin", "usage+chain upsert-lock", "write", "roll-ups", "month roll-ups", "district roll-ups", "commit",
]

SQLITE = [
    # quote
    "terminal", "nonce", "elder+tags+usage",
    # commit
    "terminal", "nonce", "elder+tags", "idempotency probe",
    "begin", "usage insert-if-missing", "usage read (lock)", "chain insert-if-missing", "chain read (lock)",
    "meal insert", "items insert", "benefit lines insert", "tenders insert", "chain update", "usage update",
    "canteen-day roll-up", "canteen-month roll-up", "canteen-total roll-up", "rule-day roll-up", "rule-month roll-up",
    "district-day roll-up", "district-month roll-up", "elder-month roll-up", "community-day roll-up",
    "resident-day roll-up", "elder-year roll-up",
    "commit",
]


def kind(sql: str) -> str:
    flat = re.sub(r"\s+", " ", sql).strip()
    for pattern, name in _KINDS:
        if re.search(pattern, flat):
            return name
    return f"unexpected: {flat[:120]}"


ITEMS = [{"dish_id": "套餐", "quantity": 1}, {"dish_id": "米饭", "quantity": 1}]


def _quote(api, menu):
    items = [{**i, "dish_id": menu[i["dish_id"]].pk} for i in ITEMS]
    quote = api.post("/api/v1/meals/quote", {"elder": {"card_number": CARD}, "items": items})
    assert quote.status_code == 200, quote.content
    return items, quote


def _checkout(api, menu, key: str) -> None:
    items, quote = _quote(api, menu)
    done = api.post("/api/v1/meals/commit", {"elder": {"card_number": CARD}, "items": items,
                                             "expected_payable_fen": quote.json()["payable_fen"]}, key=key)
    assert done.status_code == 200, done.content
    assert done.json()["payable_fen"] == quote.json()["payable_fen"]
    assert done.json()["benefit_fen"] > 0 and len(done.json()["benefit_lines"]) == 1


@pytest.fixture(autouse=True)
def _no_pruning(settings):
    settings.ZHUCAN_API_NONCE_PRUNE_PROBABILITY = 0  # the 1 % chance of a DELETE would make the count flaky


def test_one_api_checkout_in_few_statements(api, menu, carded):
    _quote(api, menu)  # warm-up: the process learns the terminal's secret and the canteen; last_seen_at is set
    with CaptureQueriesContext(connection) as ctx:
        _checkout(api, menu, "measured")
    kinds = [kind(q["sql"]) for q in ctx.captured_queries]
    assert kinds == (POSTGRESQL if connection.vendor == "postgresql" else SQLITE)


def test_first_request_of_a_process_reads_the_terminal_then_records_the_nonce(api, menu, carded):
    from zhucan.api import auth

    auth._secrets.clear()
    items = [{"dish_id": menu["米饭"].pk, "quantity": 1}]
    with CaptureQueriesContext(connection) as ctx:
        assert api.post("/api/v1/meals/quote", {"elder": {"card_number": CARD}, "items": items}).status_code == 200
    kinds = [kind(q["sql"]) for q in ctx.captured_queries]
    assert kinds[:2] == ["terminal", "nonce"]
    assert kinds.count("elder+tags+usage") == 1  # besides: last_seen_at, and the canteen context (cold)


def test_postgres_binds_server_side_and_prepares_the_hot_statements(db):
    """On PostgreSQL the platform binds parameters server-side and lets psycopg prepare a statement
    after its 5th use on a connection (planning the hot path's statements once per connection cut
    the database's CPU per checkout from ≈ 5.5 to ≈ 1.8 ms, docs/performance.md); SQLite takes
    neither option."""
    from django.conf import settings

    options = settings.DATABASES["default"].get("OPTIONS", {})
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        assert options["server_side_binding"] is True
        assert connection.connection.prepare_threshold == 5
        assert type(connection.cursor().cursor).__name__ == "ServerBindingCursor"
    else:
        assert "server_side_binding" not in options and "prepare_threshold" not in options
