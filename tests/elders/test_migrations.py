"""The personal-data migrations on a database with rows in it: plain phone numbers, addresses and
card numbers become ciphertext (cards move to the card table), and going back restores them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.migrations import migrate as _migrate
from tests.migrations import returning_to_latest
from tests.migrations import row as _row
from zhucan.core import crypto

BEFORE = [("elders", "0002_standard_tags"), ("identity", "0001_initial"), ("elderphone", "0001_initial")]
AFTER = [("elders", "0005_drop_plain_contact_fields_and_card"), ("elderphone", "0004_drop_plain_phones")]
NOW = datetime(2025, 6, 2, 4, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_migrations_encrypt_existing_rows_and_go_back(world):
    elder, other = world.elder.pk, world.other_elder.pk
    with returning_to_latest():
        apps = _migrate(BEFORE)
        Elder = apps.get_model("elders", "Elder")
        Elder.objects.filter(pk=elder).update(phone="13912345678", address="保俶路1号",
                                              citizen_card_number="330100123456789012")
        Elder.objects.filter(pk=other).update(phone="", address="", citizen_card_number="x")  # not a card
        PhoneAccount = apps.get_model("elderphone", "PhoneAccount")
        account = PhoneAccount.objects.create(phone="13800001111", created_at=NOW)
        apps.get_model("elderphone", "SmsCode").objects.create(
            phone="13800001111", purpose="reset", code_hash="h", salt="s", created_at=NOW, expires_at=NOW)

        _migrate(AFTER)
        raw = " ".join(str(v) for v in _row("SELECT * FROM elders_elder WHERE id = %s", [elder]))
        assert "13912345678" not in raw and "保俶路" not in raw
        phone, address = _row("SELECT phone_encrypted, address_encrypted FROM elders_elder WHERE id = %s", [elder])
        assert crypto.decrypt(phone, context="elder.phone") == "13912345678"
        assert crypto.decrypt(address, context="elder.address") == "保俶路1号"
        card = _row("SELECT number_encrypted, status FROM identity_citizencard WHERE elder_id = %s", [elder])
        assert crypto.decrypt(card[0], context="identity.card") == "330100123456789012" and card[1] == "active"
        assert _row("SELECT COUNT(*) FROM identity_citizencard WHERE elder_id = %s", [other]) == (0,)
        token, index = _row("SELECT phone_encrypted, phone_index FROM elderphone_phoneaccount WHERE id = %s",
                            [account.pk])
        assert crypto.decrypt(token, context="elderphone.phone") == "13800001111"
        assert _row("SELECT phone_index FROM elderphone_smscode") == (index,)

        apps = _migrate(BEFORE)
        back = apps.get_model("elders", "Elder").objects.get(pk=elder)
        assert (back.phone, back.address, back.citizen_card_number) == (
            "13912345678", "保俶路1号", "330100123456789012")
        assert apps.get_model("elderphone", "PhoneAccount").objects.get(pk=account.pk).phone == "13800001111"
        assert apps.get_model("elderphone", "SmsCode").objects.get().phone == "13800001111"
