"""Citizen cards: bind, report lost, replace, history, one active per elder, lookup by blind index."""

from __future__ import annotations

import base64

import pytest
from django.db import IntegrityError, transaction

from zhucan.core import crypto
from zhucan.core.errors import DomainError
from zhucan.core.models import AuditLog
from zhucan.identity.identification import identify
from zhucan.identity.models import CardStatus, CitizenCard
from zhucan.identity.services import (
    card_bind,
    card_history,
    card_number_index,
    card_replace,
    card_report_lost,
    identify_by_card,
)

CARD = "330100123456789012"
NEW_CARD = "330100999988887777"


def code_of(call, **kwargs) -> str:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value.code


def test_bind_stores_encrypted_indexed_masked(world, staff):
    card = card_bind(actor=staff, elder_id=world.elder.pk, number=f" ;{CARD}? ")
    assert card.status == CardStatus.ACTIVE and card.issued_by == staff
    assert CARD not in card.number_encrypted
    assert crypto.decrypt(card.number_encrypted, context="identity.card") == CARD
    assert card.number_index == card_number_index(CARD) != crypto.blind_index(CARD, purpose="elder.id_number")
    assert card.number_masked == "3301**********9012"
    log = AuditLog.objects.get(action="identity.card_bind")
    assert log.actor == staff and log.region_path == world.elder.community.path and CARD not in str(log.after)


def test_identify_by_card_never_decrypts(world, staff):
    card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    # Ciphertext no key opens: identification that decrypted the table would fail.
    unreadable = "v1:" + base64.urlsafe_b64encode(bytes(48)).decode()
    CitizenCard.objects.update(number_encrypted=unreadable)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(unreadable, context="identity.card")
    assert identify_by_card(number=CARD, canteen=world.canteen) == world.elder
    assert identify_by_card(number=f";{CARD}?", canteen=world.other_canteen) == world.elder
    assert code_of(identify_by_card, number="330100000000000000", canteen=world.canteen) == "CARD_UNKNOWN"
    assert code_of(identify_by_card, number="!!", canteen=world.canteen) == "CARD_UNKNOWN"


def test_lost_card_is_refused(world, staff):
    card = card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    lost = card_report_lost(actor=staff, card_id=card.pk)
    assert lost.status == CardStatus.LOST and lost.reported_lost_by == staff and lost.reported_lost_at
    assert code_of(identify_by_card, number=CARD, canteen=world.canteen) == "CARD_REPORTED_LOST"
    assert code_of(card_report_lost, actor=staff, card_id=card.pk) == "CARD_NOT_ACTIVE"


def test_replace_keeps_history(world, staff):
    card = card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    card_report_lost(actor=staff, card_id=card.pk)
    new = card_replace(actor=staff, card_id=card.pk, new_number=NEW_CARD)
    card.refresh_from_db()
    assert (card.status, card.replaced_by, new.status) == (CardStatus.REPLACED, new, CardStatus.ACTIVE)
    assert identify_by_card(number=NEW_CARD, canteen=world.canteen) == world.elder
    assert code_of(identify_by_card, number=CARD, canteen=world.canteen) == "CARD_REPORTED_LOST"
    assert [c.pk for c in card_history(actor=staff, elder_id=world.elder.pk)] == [new.pk, card.pk]
    assert code_of(card_replace, actor=staff, card_id=card.pk, new_number="330100555566667777") == \
        "CARD_NOT_REPLACEABLE"
    assert list(AuditLog.objects.filter(action__startswith="identity.card").values_list("action", flat=True)
                .order_by("id")) == ["identity.card_bind", "identity.card_report_lost", "identity.card_replace"]


def test_replacing_a_damaged_active_card(world, staff):
    card = card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    new = card_replace(actor=staff, card_id=card.pk, new_number=NEW_CARD)
    assert code_of(identify_by_card, number=CARD, canteen=world.canteen) == "CARD_REPLACED"
    assert identify_by_card(number=NEW_CARD, canteen=world.canteen) == world.elder
    assert CitizenCard.objects.get(status=CardStatus.ACTIVE) == new


def test_one_active_card_per_elder(world, staff):
    card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    assert code_of(card_bind, actor=staff, elder_id=world.elder.pk, number=NEW_CARD) == "CARD_ALREADY_ACTIVE"
    # The database holds the rule too, whoever writes.
    with pytest.raises(IntegrityError), transaction.atomic():
        CitizenCard.objects.create(elder=world.elder, number_encrypted="x", number_index="y" * 64,
                                   number_masked="x", status=CardStatus.ACTIVE, issued_at=world.elder.created_at)


def test_active_card_number_unique_in_database(world, staff):
    card = card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    with pytest.raises(IntegrityError), transaction.atomic():
        CitizenCard.objects.create(elder=world.other_elder, number_encrypted="x", number_index=card.number_index,
                                   number_masked="x", status=CardStatus.ACTIVE, issued_at=card.issued_at)


def test_a_card_number_never_moves_to_another_elder(world, staff):
    card = card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    admin = world.users["city_admin"]
    assert code_of(card_bind, actor=admin, elder_id=world.other_elder.pk, number=CARD) == "CARD_NUMBER_TAKEN"
    card_report_lost(actor=staff, card_id=card.pk)
    assert code_of(card_bind, actor=admin, elder_id=world.other_elder.pk, number=CARD) == "CARD_NUMBER_TAKEN"
    assert not CitizenCard.objects.filter(elder=world.other_elder).exists()


def test_invalid_number(world, staff):
    assert code_of(card_bind, actor=staff, elder_id=world.elder.pk, number="12") == "CARD_NUMBER_INVALID"
    assert code_of(card_bind, actor=staff, elder_id=world.elder.pk, number="卡号123456") == "CARD_NUMBER_INVALID"


@pytest.mark.parametrize("role", ["subdistrict_staff", "district_admin", "city_admin"])
def test_another_districts_staff_cannot_bind(world, role):
    """Not yours looks exactly like missing (404), and nothing changes."""
    actor = world.other[role] if role != "city_admin" else world.other["city_admin"]  # 上城区 / 聊城市
    before = AuditLog.objects.count()
    assert code_of(card_bind, actor=actor, elder_id=world.elder.pk, number=CARD) == "NOT_FOUND"
    assert code_of(card_bind, actor=actor, elder_id=999_999, number=CARD) == "NOT_FOUND"
    assert not CitizenCard.objects.exists() and AuditLog.objects.count() == before


@pytest.mark.parametrize("role", ["cashier", "canteen_manager", "auditor"])
def test_roles_without_elder_change_cannot_bind(world, role):
    assert code_of(card_bind, actor=world.users[role], elder_id=world.elder.pk, number=CARD) == "NOT_FOUND"


def test_another_district_cannot_report_lost_or_replace(world, staff):
    card = card_bind(actor=staff, elder_id=world.elder.pk, number=CARD)
    other = world.other["subdistrict_staff"]
    assert code_of(card_report_lost, actor=other, card_id=card.pk) == "NOT_FOUND"
    assert code_of(card_replace, actor=other, card_id=card.pk, new_number=NEW_CARD) == "NOT_FOUND"
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE


def test_identify_by_id_number(world):
    def by_id(*, number, canteen):
        return identify(id_number=number, canteen=canteen).elder

    assert by_id(number=world.elder.plain_id_number, canteen=world.canteen) == world.elder
    assert by_id(number=world.elder.plain_id_number.lower(), canteen=world.canteen) == world.elder
    assert code_of(by_id, number="110101194503150000", canteen=world.canteen).startswith("ID_")
    from datetime import date

    from zhucan.core.idnumber import make_id_number

    unknown = make_id_number("330106", date(1950, 1, 1), 499, "M")
    assert code_of(by_id, number=unknown, canteen=world.canteen) == "ELDER_NOT_FOUND"
