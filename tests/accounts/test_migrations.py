"""The user-phone migrations on a database with rows in it: plain phone numbers become ciphertext,
the audit rows of earlier user changes keep them only masked, and going back restores the numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.migrations import migrate as _migrate
from tests.migrations import returning_to_latest
from tests.migrations import row as _row
from zhucan.core import crypto

BEFORE = [("accounts", "0002_terminal_terminalnonce"), ("core", "0001_initial")]
AFTER = [("accounts", "0005_drop_plain_user_phone")]
NOW = datetime(2025, 6, 2, 4, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_migrations_encrypt_existing_user_phones_and_go_back(world):
    cashier, auditor = world.users["cashier"].pk, world.users["auditor"].pk
    with returning_to_latest():
        apps = _migrate(BEFORE)
        User = apps.get_model("accounts", "User")
        User.objects.filter(pk=cashier).update(phone="13912345678")
        User.objects.filter(pk=auditor).update(phone="")
        AuditLog = apps.get_model("core", "AuditLog")
        log = AuditLog.objects.create(at=NOW, action="user.update", object_type="accounts.user",
                                      object_id=str(cashier), before={"phone": "", "role": "cashier"},
                                      after={"phone": "13912345678", "role": "cashier"})
        other = AuditLog.objects.create(at=NOW, action="elder.update", object_type="elders.elder", object_id="1",
                                        after={"phone": "139****5678"})

        _migrate(AFTER)
        raw = " ".join(str(v) for v in _row("SELECT * FROM accounts_user WHERE id = %s", [cashier]))
        assert "13912345678" not in raw
        (token,) = _row("SELECT phone_encrypted FROM accounts_user WHERE id = %s", [cashier])
        assert token.startswith("v1:") and crypto.decrypt(token, context="accounts.user.phone") == "13912345678"
        assert _row("SELECT phone_encrypted FROM accounts_user WHERE id = %s", [auditor]) == ("",)
        apps_after = MigrationExecutor(connection).loader.project_state(AFTER).apps
        masked = apps_after.get_model("core", "AuditLog").objects.get(pk=log.pk)
        assert masked.before == {"phone": "", "role": "cashier"}
        assert masked.after == {"phone": "139****5678", "role": "cashier"}
        assert apps_after.get_model("core", "AuditLog").objects.get(pk=other.pk).after == {"phone": "139****5678"}

        apps = _migrate(BEFORE)
        User = apps.get_model("accounts", "User")
        assert User.objects.get(pk=cashier).phone == "13912345678"
        assert User.objects.get(pk=auditor).phone == ""
