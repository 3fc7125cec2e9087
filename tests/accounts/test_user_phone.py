"""Staff users' phone numbers are personal data: stored only encrypted, whole in the user list, the
export and the edit form only for the administrators who manage users, masked for the auditor, and
never whole in the audit log."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.db import connection
from openpyxl import load_workbook

from tests.conftest import login
from zhucan.accounts import services
from zhucan.accounts.models import User
from zhucan.core import crypto
from zhucan.core.models import AuditLog

PHONE = "13912345678"
MASKED = "139****5678"
NEW_PHONE = "13800001111"


@pytest.fixture
def cashier(world):
    user = world.users["cashier"]
    services.user_update(actor=world.users["district_admin"], user_id=user.pk, role=user.role, region=None,
                         canteen=user.canteen, display_name=user.display_name, phone=PHONE, is_active=True)
    return User.objects.get(pk=user.pk)


def raw_row(user) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM accounts_user WHERE id = %s", [user.pk])
        return " ".join(str(v) for v in cur.fetchone())


def stored_token(user) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT phone_encrypted FROM accounts_user WHERE id = %s", [user.pk])
        return cur.fetchone()[0]


def test_the_phone_is_stored_only_as_ciphertext(world, cashier):
    assert PHONE not in raw_row(cashier)
    columns = [c.name for c in connection.introspection.get_table_description(connection.cursor(),
                                                                                "accounts_user")]
    assert "phone" not in columns
    token = stored_token(cashier)
    assert token.startswith("v1:") and crypto.decrypt(token, context="accounts.user.phone") == PHONE
    assert User.objects.get(pk=cashier.pk).phone == PHONE  # read back through the model, decrypted


def test_a_new_user_without_a_phone_stores_nothing(world):
    user = services.user_create(actor=world.users["city_admin"], username="no_phone", password="Xk9-long-pass",
                                role="auditor", region=world.xihu)
    assert stored_token(user) == "" and User.objects.get(pk=user.pk).phone == ""


@pytest.mark.parametrize("role, whole", [("city_admin", True), ("district_admin", True), ("auditor", False)])
def test_user_list_shows_the_phone_whole_only_to_user_administrators(world, cashier, client, role, whole):
    body = login(client, world.users[role]).get("/accounts/users/").content.decode()
    assert cashier.username in body
    assert (PHONE in body) is whole
    assert (MASKED in body) is not whole


@pytest.mark.parametrize("role, whole", [("city_admin", True), ("district_admin", True), ("auditor", False)])
def test_user_export_shows_the_phone_whole_only_to_user_administrators(world, cashier, client, role, whole):
    response = login(client, world.users[role]).get("/accounts/users/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    header, *rows = [[c.value for c in row] for row in sheet.iter_rows()]
    column = header.index("联系电话")
    (row,) = [r for r in rows if r[0] == cashier.username]
    assert row[column] == (PHONE if whole else MASKED)
    assert PHONE not in " ".join(str(v) for r in rows for v in r) or whole
    log = AuditLog.objects.get(action="user.export")
    assert log.actor == world.users[role] and log.after["filters"]["full_contact"] == str(whole)


def test_audit_rows_keep_the_phone_masked(world, cashier, client):
    admin = world.users["district_admin"]
    services.user_update(actor=admin, user_id=cashier.pk, role=cashier.role, region=None, canteen=cashier.canteen,
                         display_name=cashier.display_name, phone=NEW_PHONE, is_active=True)
    created = services.user_create(actor=admin, username="new_cashier", password="Xk9-long-pass", role="cashier",
                                   canteen=world.canteen, phone="0571-88001234")
    text = " ".join(str(r.before) + str(r.after) for r in AuditLog.objects.all())
    assert PHONE not in text and NEW_PHONE not in text and "88001234" not in text
    first, second = AuditLog.objects.filter(action="user.update", object_id=str(cashier.pk)).order_by("id")
    assert (first.before["phone"], first.after["phone"]) == ("", MASKED)
    assert (second.before["phone"], second.after["phone"]) == (MASKED, "138****1111")
    assert AuditLog.objects.get(action="user.create", object_id=str(created.pk)).after["phone"] == "057******1234"
    body = login(client, world.users["city_admin"]).get("/audit/").content.decode()
    assert "user.update" in body and PHONE not in body and NEW_PHONE not in body


def test_the_edit_form_shows_the_whole_phone_and_saves_a_new_one(world, cashier, client):
    login(client, world.users["district_admin"])
    url = f"/accounts/users/{cashier.pk}/edit/"
    assert f'value="{PHONE}"' in client.get(url).content.decode()
    response = client.post(url, {"display_name": "收银员小王", "phone": NEW_PHONE, "role": "cashier",
                                 "canteen": world.canteen.pk, "is_active": "on"})
    assert response.status_code == 302
    fresh = User.objects.get(pk=cashier.pk)
    assert (fresh.display_name, fresh.phone) == ("收银员小王", NEW_PHONE)
    assert NEW_PHONE not in raw_row(fresh)
    assert crypto.decrypt(stored_token(fresh), context="accounts.user.phone") == NEW_PHONE


def test_the_admin_site_edits_the_phone_encrypted(world, cashier, client):
    from tests.conftest import _system_user

    superuser = _system_user()
    login(client, superuser)
    url = f"/admin/accounts/user/{cashier.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and f'value="{PHONE}"' in page.content.decode()
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update({"phone": NEW_PHONE, "last_login_0": "", "last_login_1": "",
                 "date_joined_0": "2025-06-01", "date_joined_1": "08:00:00",
                 "canteen": cashier.canteen_id, "is_active": "on"})
    data.pop("region", None)
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    fresh = User.objects.get(pk=cashier.pk)
    assert fresh.phone == NEW_PHONE and NEW_PHONE not in raw_row(fresh)
