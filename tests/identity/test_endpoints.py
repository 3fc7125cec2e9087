"""What terminals fetch (key set, revocation list) and the key rotation command; a terminal that
holds only these JSON documents verifies codes offline."""

from __future__ import annotations

import base64
import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from zhucan.identity import tokens
from zhucan.identity.models import SigningKey
from zhucan.identity.services import card_code_issue, card_code_revoke, elder_qr_issue

from .conftest import NOON


def test_key_set_lets_a_terminal_verify_offline(world, noon, client):
    token, _ = elder_qr_issue(elder=world.elder)
    response = client.get("/identity/keys.json")
    assert response.status_code == 200 and "max-age" in response["Cache-Control"]
    body = response.json()
    assert body["token_prefix"] == "ZC1." and body["max_dynamic_ttl_seconds"] == 60
    public = {kid: base64.urlsafe_b64decode(info["public_key"] + "=") for kid, info in body["keys"].items()}
    claims = tokens.verify(token, public, NOON)  # no database from here on
    assert body["keys"][claims.kid]["status"] == "signing" and body["keys"][claims.kid]["alg"] == "Ed25519"
    assert "private" not in response.content.decode()


def test_key_set_shows_rotation(world, noon, client, frozen_clock):
    elder_qr_issue(elder=world.elder)
    out = io.StringIO()
    call_command("qr_rotate_key", stdout=out)
    assert "signing" in out.getvalue() and "retired" in out.getvalue()
    statuses = sorted(info["status"] for info in client.get("/identity/keys.json").json()["keys"].values())
    assert statuses == ["retired", "signing"]
    frozen_clock(NOON + timedelta(minutes=5))
    assert [i["status"] for i in client.get("/identity/keys.json").json()["keys"].values()] == ["signing"]
    assert SigningKey.objects.count() == 2


def test_revocation_list(world, noon, client):
    _token, code = card_code_issue(actor=world.users["subdistrict_staff"], elder_id=world.elder.pk)
    assert client.get("/identity/revoked.json").json()["revoked"] == []
    card_code_revoke(actor=world.users["subdistrict_staff"], elder_id=world.elder.pk)
    revoked = client.get("/identity/revoked.json").json()["revoked"]
    assert [r["code_id"] for r in revoked] == [code.code_id]
    assert set(revoked[0]) == {"code_id", "expires_at", "revoked_at"}  # no elder, no name


@pytest.mark.parametrize("url", ["/identity/keys.json", "/identity/revoked.json"])
def test_read_only(client, db, url):
    assert client.post(url).status_code == 405


def test_prune_command(world, noon, frozen_clock):
    from zhucan.identity.models import QrUse
    from zhucan.identity.services import identify_by_qr

    token, _ = elder_qr_issue(elder=world.elder)
    identify_by_qr(token=token, canteen=world.canteen)
    out = io.StringIO()
    call_command("qr_prune_uses", stdout=out)
    assert QrUse.objects.count() == 1
    frozen_clock(NOON + timedelta(hours=1))
    call_command("qr_prune_uses", stdout=out)
    assert not QrUse.objects.exists()
