"""An elder who withdraws from the programme: personal data erased, meals and money kept."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from tests.checkout.conftest import at
from tests.conftest import bind_card, login
from zhucan.checkout import services as checkout
from zhucan.checkout.models import Meal
from zhucan.core.errors import DomainError
from zhucan.core.models import AuditLog
from zhucan.elderphone.models import Binding, PhoneAccount
from zhucan.elderphone.services import binding_create
from zhucan.elders import selectors, services
from zhucan.elders.models import Elder
from zhucan.elders.services import ElderData, elder_update
from zhucan.face import index
from zhucan.face.models import FaceConsent, FaceEnrolment
from zhucan.identity.identification import identify
from zhucan.identity.models import CitizenCard, ElderPin
from zhucan.identity.services import card_code_issue, elder_pin_set
from zhucan.privacy.erasure import elder_erase
from zhucan.settlement.selectors import district_report
from zhucan.settlement.services import statement_generate

CARD = "330100123456789012"
PHONE = "13912345678"


@pytest.fixture
def withdrawing(world, menu, frozen_clock, settings, tmp_path):
    """world.elder with meals in June 2025, a card, a card code, a PIN, face data and a phone account."""
    settings.ZHUCAN_FACE_INDEX_DIR = tmp_path / "face-index"
    staff = world.users["subdistrict_staff"]
    elder = world.elder
    elder_update(actor=staff, elder_id=elder.pk, data=ElderData(
        name=elder.name, id_number="", community=elder.community, phone=PHONE, address="保俶路1号",
        tag_codes=("living_alone",)))
    bind_card(elder, CARD)
    frozen_clock(at("2025-06-02 11:00"))
    card_code_issue(actor=staff, elder_id=elder.pk)
    elder_pin_set(actor=staff, elder_id=elder.pk, pin="135790")
    FaceConsent.objects.create(elder=elder, scope="verify_1_1", text_version="t", granted_by=staff,
                               granted_at=elder.created_at)
    FaceEnrolment.objects.create(elder=elder, embedding_encrypted=index.seal_embedding(np.ones(128, np.float32)),
                                 model_name="m", model_version="v", source="staff_upload",
                                 enrolled_at=elder.created_at, photo_encrypted="v1:kept")
    binding_create(actor=staff, elder_id=elder.pk, phone=PHONE, relation="self", notify=False)
    meals = [checkout.meal_commit(canteen=world.canteen, elder=elder,
                                  lines=[checkout.OrderLine(dish_id=menu["套餐"].pk, quantity=1)],
                                  idempotency_key=f"k{n}", request_digest=f"k{n}", at=at(when)).meal
             for n, when in enumerate(["2025-06-02 11:30", "2025-06-03 11:30"])]
    checkout.meal_reverse(canteen=world.canteen, receipt_no=meals[1].receipt_no, kind="void", idempotency_key="v",
                          request_digest="v", at=at("2025-06-03 11:40"))
    frozen_clock(at("2025-07-02 09:00"))
    return elder


def _figures(world):
    statements = statement_generate(actor=world.users["city_admin"], month=date(2025, 6, 1))
    report = district_report(actor=world.users["city_admin"], month=date(2025, 6, 1))
    meals = list(Meal.objects.order_by("pk").values_list("pk", "elder_id", "gross_fen", "benefit_fen",
                                                         "payable_fen", "record_hash"))
    return ([(s.canteen_id, s.sales, s.reversals, s.elder_meals, s.elders, s.gross_fen, s.benefit_fen, s.payable_fen,
             s.benefit_city_fen, s.benefit_district_fen) for s in statements],
            [{**vars(r), "district": r.district.pk if r.district else None} for r in [*report.rows, report.totals]],
            meals)


def test_erasure_removes_personal_data_and_keeps_meals_and_money(world, withdrawing, capsys):
    elder = withdrawing
    before = _figures(world)
    id_number = elder.plain_id_number
    staff = world.users["subdistrict_staff"]

    elder_erase(actor=staff, elder_id=elder.pk, reason="本人申请退出", confirm_name=elder.name)

    erased = Elder.objects.get(pk=elder.pk)
    assert erased.name == f"已退出老人{elder.pk}" and erased.id_number_masked == "已删除"
    assert erased.status == "withdrawn" and erased.erased_at and erased.birth_date == date(1945, 1, 1)
    assert (erased.phone, erased.address, erased.hukou_note, list(erased.tags.all())) == ("", "", "", [])
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM elders_elder WHERE id = %s", [elder.pk])
        row = " ".join(str(v) for v in cur.fetchone())
    assert "张秀英" not in row and id_number[-6:] not in row
    assert not CitizenCard.objects.filter(elder_id=elder.pk).exists()
    assert not ElderPin.objects.filter(elder_id=elder.pk).exists()
    assert not FaceEnrolment.objects.filter(elder_id=elder.pk).exists()
    assert not FaceConsent.objects.filter(elder_id=elder.pk, withdrawn_at__isnull=True).exists()
    assert not Binding.objects.filter(elder_id=elder.pk, revoked_at__isnull=True).exists()
    account = PhoneAccount.objects.get()
    assert not account.is_active and account.password == "" and account.display_name == "" and account.phone == ""
    for presented in ({"card_number": CARD}, {"id_number": id_number}):
        with pytest.raises(DomainError):
            identify(canteen=world.canteen, **presented)
    assert list(selectors.elder_list(user=staff, q=PHONE)) == []

    assert _figures(world) == before  # statements, district report and every meal unchanged
    call_command("ledger", "verify")
    assert "0 problems" in capsys.readouterr().out
    log = AuditLog.objects.get(action="elder.erase")
    assert log.actor == staff and log.note == "本人申请退出" and "张秀英" not in log.object_repr
    with pytest.raises(DomainError) as exc:  # the record is closed
        elder_update(actor=staff, elder_id=elder.pk, data=ElderData(name="x", id_number="",
                                                                   community=elder.community))
    assert exc.value.code == "ELDER_ERASED"
    for field in ("id_number", "phone", "address"):
        with pytest.raises(DomainError) as exc:
            services.elder_reveal(actor=staff, elder_id=elder.pk, field=field)
        assert exc.value.code == "ELDER_ERASED"


@pytest.mark.parametrize("who", ["other_staff", "auditor", "cashier", "wrong_name", "no_reason"])
def test_a_refused_erasure_changes_nothing(world, withdrawing, who):
    elder = withdrawing
    actor = {"other_staff": world.other["subdistrict_staff"], "auditor": world.users["auditor"],
             "cashier": world.users["cashier"]}.get(who, world.users["subdistrict_staff"])
    audit_before = AuditLog.objects.count()
    with pytest.raises(DomainError):
        elder_erase(actor=actor, elder_id=elder.pk, reason="" if who == "no_reason" else "本人申请退出",
                    confirm_name="别人" if who == "wrong_name" else elder.name)
    fresh = Elder.objects.get(pk=elder.pk)
    assert (fresh.name, fresh.phone, fresh.status, fresh.erased_at) == (elder.name, PHONE, "active", None)
    assert CitizenCard.objects.filter(elder_id=elder.pk).count() == 1
    assert FaceEnrolment.objects.filter(elder_id=elder.pk).exists()
    assert Binding.objects.filter(elder_id=elder.pk, revoked_at__isnull=True).count() == 1
    assert AuditLog.objects.count() == audit_before


def test_console_erasure_asks_for_confirmation_in_chinese(world, withdrawing, client):
    elder = withdrawing
    login(client, world.users["subdistrict_staff"])
    page = client.get(f"/elders/{elder.pk}/erase/").content.decode()
    assert "退出项目并删除个人信息" in page and "此操作不可撤销" in page
    refused = client.post(f"/elders/{elder.pk}/erase/", {"reason": "本人申请退出", "confirm_name": "别人"})
    assert refused.status_code == 400 and "请输入老人姓名以确认删除" in refused.content.decode()
    assert Elder.objects.get(pk=elder.pk).erased_at is None
    done = client.post(f"/elders/{elder.pk}/erase/", {"reason": "本人申请退出", "confirm_name": elder.name})
    assert done.status_code == 302
    assert Elder.objects.get(pk=elder.pk).erased_at is not None
    login(client, world.users["auditor"])
    assert client.get(f"/elders/{elder.pk}/erase/").status_code in (403, 404)
