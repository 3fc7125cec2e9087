"""Personal data in the registry (PIPL): phone numbers and addresses are stored encrypted (phones
blind-indexed for search), the card number lives only in the card table, lists and exports mask what
a role does not need, and every reveal and every export leaves an audit row."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.db import connection
from openpyxl import load_workbook

from tests.conftest import login, make_elder
from zhucan.core.errors import DomainError
from zhucan.core.models import AuditLog
from zhucan.elders import selectors, services
from zhucan.elders.models import Elder

PHONE = "13912345678"
ADDRESS = "北山街道保俶社区宝石山下3幢2单元501室"
CARD = "330100123456789012"


@pytest.fixture
def elder(world):
    return make_elder(world.xihu_c1, name="周阿婆", phone=PHONE, address=ADDRESS, citizen_card_number=CARD,
                      actor=world.users["subdistrict_staff"])


def raw_row(elder) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM elders_elder WHERE id = %s", [elder.pk])
        return " ".join(str(v) for v in cur.fetchone())


def test_phone_address_and_card_are_not_stored_in_plain_text(world, elder):
    row = raw_row(elder)
    assert PHONE not in row and ADDRESS not in row and "宝石山" not in row and CARD not in row
    columns = [c.name for c in connection.introspection.get_table_description(connection.cursor(),
                                                                                "elders_elder")]
    assert "citizen_card_number" not in columns and "phone" not in columns and "address" not in columns
    with connection.cursor() as cur:
        cur.execute("SELECT phone_encrypted, address_encrypted FROM elders_elder WHERE id = %s", [elder.pk])
        phone_token, address_token = cur.fetchone()
    assert phone_token.startswith("v1:") and address_token.startswith("v1:")
    fresh = Elder.objects.get(pk=elder.pk)
    assert (fresh.phone, fresh.address) == (PHONE, ADDRESS)  # read back through the model, decrypted
    with connection.cursor() as cur:
        cur.execute("SELECT number_encrypted FROM identity_citizencard WHERE elder_id = %s", [elder.pk])
        assert CARD not in cur.fetchone()[0]


def test_search_by_whole_phone_and_card_through_blind_indexes(world, elder):
    staff = world.users["subdistrict_staff"]
    for q in (PHONE, "+86 139-1234-5678", CARD):
        assert list(selectors.elder_list(user=staff, q=q)) == [elder], q
    assert list(selectors.elder_list(user=world.other["subdistrict_staff"], q=PHONE)) == []


def test_audit_rows_keep_contact_details_masked(world, elder):
    services.elder_update(actor=world.users["subdistrict_staff"], elder_id=elder.pk, data=services.ElderData(
        name=elder.name, id_number="", community=elder.community, phone="13800001111", address="别处1号"))
    text = " ".join(str(r.before) + str(r.after) for r in AuditLog.objects.all())
    assert PHONE not in text and "13800001111" not in text and "宝石山" not in text and "别处1号" not in text
    update = AuditLog.objects.get(action="elder.update")
    assert update.before["phone"] == "139****5678" and update.after["phone"] == "138****1111"


def test_detail_page_masks_and_reveal_is_audited_per_field(world, elder, client):
    staff = world.users["subdistrict_staff"]
    body = login(client, staff).get(f"/elders/{elder.pk}/").content.decode()
    assert PHONE not in body and ADDRESS not in body and CARD not in body
    assert "139****5678" in body
    for field, value in (("phone", PHONE), ("address", ADDRESS)):
        response = client.post(f"/elders/{elder.pk}/reveal/{field}/")
        assert response.status_code == 200 and value in response.content.decode()
        log = AuditLog.objects.get(action=f"elder.reveal_{field}")
        assert (log.actor, log.object_id, log.after) == (staff, str(elder.pk), {"field": field})


@pytest.mark.parametrize("role", ["city_admin", "auditor", "cashier", "canteen_manager"])
def test_reveal_refused_to_roles_that_do_not_need_it_and_nothing_is_logged(world, elder, role):
    for field in ("phone", "address"):
        with pytest.raises(DomainError):
            services.elder_reveal(actor=world.users[role], elder_id=elder.pk, field=field)
    with pytest.raises(DomainError):  # another district's staff: not found, nothing logged
        services.elder_reveal(actor=world.other["subdistrict_staff"], elder_id=elder.pk, field="phone")
    assert not AuditLog.objects.filter(action__startswith="elder.reveal").exists()


def _export(client, user, query=""):
    response = login(client, user).get(f"/elders/export.xlsx{query}")
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    return rows[0], [r for r in rows[1:] if r[0] == "周阿婆"]


@pytest.mark.parametrize("role, full", [("subdistrict_staff", True), ("district_admin", True),
                                        ("city_admin", False), ("auditor", False)])
def test_export_masks_contact_details_unless_the_role_contacts_elders(world, elder, client, role, full):
    headers, (row,) = _export(client, world.users[role], "?q=周阿婆")
    values = dict(zip(headers, row, strict=True))
    assert values["市民卡号"] == "3301**********9012" and values["身份证号"] == elder.id_number_masked
    if full:
        assert (values["联系电话"], values["居住地址"]) == (PHONE, ADDRESS)
    else:
        assert values["联系电话"] == "139****5678" and "宝石山" not in values["居住地址"]
    log = AuditLog.objects.get(action="elder.export")
    assert log.actor == world.users[role]
    assert log.after["filters"]["q"] == "周阿婆" and log.after["rows"] == 1
    assert log.after["filters"]["full_contact"] == str(full)


@pytest.mark.parametrize("url, action", [
    ("/elders/export.xlsx?status=active", "elder.export"),
    ("/accounts/users/export.xlsx", "user.export"),
    ("/canteens/export.xlsx", "canteen.export"),
    ("/funds/subsidies/export.xlsx", "funds.subsidy.export"),
    ("/funds/rewards/export.xlsx?year=2025", "funds.reward.export"),
])
def test_every_export_writes_one_audit_row_with_filter_and_count(world, client, url, action):
    admin = world.users["city_admin"]
    response = login(client, admin).get(url)
    assert response.status_code == 200
    (log,) = AuditLog.objects.filter(action=action)
    data_rows = load_workbook(BytesIO(response.content)).active.max_row
    assert log.actor == admin and isinstance(log.after["rows"], int)
    assert log.after["rows"] <= data_rows - 1
    if "?" in url:
        key, value = url.split("?", 1)[1].split("=")
        assert log.after["filters"][key] == value


def test_a_denied_export_writes_nothing(world, client):
    login(client, world.users["cashier"])
    assert client.get("/elders/export.xlsx").status_code in (403, 404)
    assert client.get("/accounts/users/export.xlsx").status_code in (403, 404)
    assert not AuditLog.objects.filter(action__endswith=".export").exists()


def test_a_statement_export_writes_one_audit_row(world, menu, client, frozen_clock):
    from datetime import date

    from tests.checkout.conftest import at
    from zhucan.checkout import services as checkout
    from zhucan.settlement.services import statement_generate

    checkout.meal_commit(canteen=world.canteen, elder=world.elder,
                         lines=[checkout.OrderLine(dish_id=menu["套餐"].pk, quantity=1)],
                         idempotency_key="k", request_digest="k", at=at("2025-06-02 11:30"))
    frozen_clock(at("2025-07-02 09:00"))
    (statement,) = [s for s in statement_generate(actor=world.users["city_admin"], month=date(2025, 6, 1))
                    if s.canteen_id == world.canteen.pk]
    manager = world.users["canteen_manager"]
    response = login(client, manager).get(f"/settlement/{statement.pk}/export.xlsx")
    assert response.status_code == 200
    (log,) = AuditLog.objects.filter(action="statement.export")
    assert log.actor == manager and log.after == {"filters": {"statement": str(statement.pk), "format": "xlsx"},
                                                  "rows": 1}
    assert client.get(f"/settlement/{statement.pk}/export.doc").status_code == 404
    assert AuditLog.objects.filter(action="statement.export").count() == 1
