"""The OpenAPI document, and the terminal commands."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from zhucan.accounts.models import Terminal
from zhucan.api.auth import SECRET_CONTEXT
from zhucan.core import crypto
from zhucan.core.models import AuditLog


def test_openapi_document_lists_the_endpoints(client, db):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    paths = doc["paths"]
    expected = {
        ("post", "/api/v1/elders/identify"), ("get", "/api/v1/elders/{elder_id}/usage"),
        ("get", "/api/v1/canteen/menu"), ("post", "/api/v1/meals/quote"), ("post", "/api/v1/meals/commit"),
        ("post", "/api/v1/meals/void"), ("post", "/api/v1/meals/refund"), ("post", "/api/v1/meals/report"),
        ("post", "/api/v1/faces/identify"), ("post", "/api/v1/faces/verify"), ("post", "/api/v1/faces/enrol"),
        ("post", "/api/v1/terminal/capabilities"), ("post", "/api/v1/terminal/tests/receipt"),
        ("post", "/api/v1/terminal/tests/identification"), ("post", "/api/v1/terminal/tests/meal"),
        ("post", "/api/v1/video/events"),
    }
    assert {(m, p) for p, ops in paths.items() for m in ops} == expected
    assert "TerminalSignature" in doc["components"]["securitySchemes"]
    assert "MealOut" in doc["components"]["schemas"]
    assert "receipt_no" in doc["components"]["schemas"]["MealOut"]["properties"]


def test_register_prints_the_secret_once_and_stores_it_encrypted(world):
    out = StringIO()
    call_command("terminal_register", "--canteen", str(world.canteen.pk), "--name", "2号收银台", "--vendor", "某厂商",
                 stdout=out)
    text = out.getvalue()
    terminal = Terminal.objects.get(name="2号收银台")
    secret = next(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("secret: "))
    assert f"key_id: {terminal.key_id}" in text
    assert secret not in terminal.secret_encrypted
    assert crypto.decrypt(terminal.secret_encrypted, context=SECRET_CONTEXT) == secret
    assert terminal.canteen == world.canteen and terminal.vendor == "某厂商"
    log = AuditLog.objects.get(action="terminal.register")
    assert secret not in json.dumps(log.after, ensure_ascii=False)


def test_register_by_name_json_and_revoke(world):
    out = StringIO()
    call_command("terminal_register", "--canteen", "北山长者食堂", "--name", "POS", "--json", stdout=out)
    answer = json.loads(out.getvalue())
    assert answer["canteen_id"] == world.canteen.pk and answer["secret"]
    call_command("terminal_revoke", answer["key_id"], stdout=StringIO())
    assert Terminal.objects.get(key_id=answer["key_id"]).revoked_at is not None
    assert AuditLog.objects.filter(action="terminal.revoke").count() == 1
    with pytest.raises(CommandError):
        call_command("terminal_register", "--canteen", "没有这个食堂", "--name", "x", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("terminal_revoke", "tk_nope", stdout=StringIO())


def test_register_service_checks_the_users_jurisdiction(world):
    from zhucan.api.services import terminal_register
    from zhucan.core.errors import DomainError

    ok = terminal_register(actor=world.users["canteen_manager"], canteen=world.canteen, name="店长登记")
    assert ok.terminal.canteen == world.canteen
    with pytest.raises(DomainError):
        terminal_register(actor=world.other["canteen_manager"], canteen=world.canteen, name="越权")
    with pytest.raises(DomainError):
        terminal_register(actor=world.users["cashier"], canteen=world.canteen, name="收银员")
    assert not Terminal.objects.filter(name__in=["越权", "收银员"]).exists()
