"""Existing rows: phone numbers and addresses are encrypted (phones also blind-indexed), and card
numbers held only in the elder table move to the identity app's card table (encrypted, blind-indexed,
masked). Reversible: going back decrypts into the plain columns and copies each elder's active card
number back. Card numbers that are not card-shaped (6–32 letters or digits after dropping reader
sentinels, spaces and dashes) or that another elder's card already holds identify nobody today and
are not carried over; the migration prints how many.

The helpers are copied here on purpose: a migration must keep doing what it did when it was written,
whatever the app code becomes later."""

import re

from django.db import migrations

from zhucan.core import crypto

PHONE_CONTEXT = "elder.phone"
ADDRESS_CONTEXT = "elder.address"
CARD_CONTEXT = "identity.card"
_SENTINELS = re.compile(r"^[;%]+|[?]+$")
_CARD_SHAPE = re.compile(r"^[0-9A-Z]{6,32}$")


def _phone_digits(raw):
    digits = re.sub(r"\D", "", raw or "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits


def _card_normalise(raw):
    value = _SENTINELS.sub("", (raw or "").strip()).strip().replace(" ", "").replace("-", "").upper()
    return value if _CARD_SHAPE.match(value) else None


def _card_mask(number):
    keep = 4 if len(number) > 10 else 2
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def seal(apps, schema_editor):
    Elder = apps.get_model("elders", "Elder")
    rows = Elder.objects.exclude(phone="", address="").values_list("pk", "phone", "address")
    for pk, phone, address in rows.iterator(chunk_size=2000):
        phone, address = (phone or "").strip(), (address or "").strip()
        digits = _phone_digits(phone)
        Elder.objects.filter(pk=pk).update(
            phone_encrypted=crypto.encrypt(phone, context=PHONE_CONTEXT) if phone else "",
            phone_index=crypto.blind_index(digits, purpose=PHONE_CONTEXT) if digits else "",
            address_encrypted=crypto.encrypt(address, context=ADDRESS_CONTEXT) if address else "",
        )


def unseal(apps, schema_editor):
    Elder = apps.get_model("elders", "Elder")
    rows = (Elder.objects.exclude(phone_encrypted="", address_encrypted="")
            .values_list("pk", "phone_encrypted", "address_encrypted"))
    for pk, phone, address in rows.iterator(chunk_size=2000):
        Elder.objects.filter(pk=pk).update(
            phone=crypto.decrypt(phone, context=PHONE_CONTEXT) if phone else "",
            address=crypto.decrypt(address, context=ADDRESS_CONTEXT) if address else "",
        )


def cards_to_table(apps, schema_editor):
    Elder = apps.get_model("elders", "Elder")
    CitizenCard = apps.get_model("identity", "CitizenCard")
    with_active = set(CitizenCard.objects.filter(status="active").values_list("elder_id", flat=True))
    taken = dict(CitizenCard.objects.values_list("number_index", "elder_id"))
    now = None
    pending, dropped = [], 0
    rows = (Elder.objects.filter(citizen_card_number__isnull=False).exclude(citizen_card_number="")
            .order_by("pk").values_list("pk", "citizen_card_number"))
    for elder_id, raw in rows.iterator(chunk_size=2000):
        if elder_id in with_active:
            continue  # the card table already holds this elder's card (kept in step by card services)
        number = _card_normalise(raw)
        index = crypto.blind_index(number, purpose=CARD_CONTEXT) if number else None
        if index is None or taken.get(index, elder_id) != elder_id:
            dropped += 1
            continue
        taken[index] = elder_id
        if now is None:
            from django.utils import timezone

            now = timezone.now()
        pending.append(CitizenCard(elder_id=elder_id, number_encrypted=crypto.encrypt(number, context=CARD_CONTEXT),
                                   number_index=index, number_masked=_card_mask(number), status="active",
                                   issued_at=now))
    CitizenCard.objects.bulk_create(pending, batch_size=1000)
    if dropped:
        print(f"\n  elders: {dropped} card number(s) not card-shaped or held by another elder's card were not moved")


def cards_back(apps, schema_editor):
    Elder = apps.get_model("elders", "Elder")
    CitizenCard = apps.get_model("identity", "CitizenCard")
    for elder_id, token in CitizenCard.objects.filter(status="active").values_list("elder_id", "number_encrypted"):
        Elder.objects.filter(pk=elder_id).update(citizen_card_number=crypto.decrypt(token, context=CARD_CONTEXT))


class Migration(migrations.Migration):
    dependencies = [("elders", "0003_sealed_contact_fields"), ("identity", "0001_initial")]

    operations = [
        migrations.RunPython(seal, unseal),
        migrations.RunPython(cards_to_table, cards_back),
    ]
