"""Existing accounts' numbers are encrypted and blind-indexed; SMS code rows keep only the index.
Reversible: going back decrypts the account numbers; the SMS rows' numbers come back from their
account where they have one, and otherwise (codes asked for a number with no account, kept only
for the rate limit) stay empty — they expire within minutes anyway.

The helpers are copied here on purpose: a migration must keep doing what it did when it was written."""

import re

from django.db import migrations

from zhucan.core import crypto

CONTEXT = "elderphone.phone"


def _index(phone):
    digits = re.sub(r"\D", "", phone or "")
    return crypto.blind_index(digits, purpose=CONTEXT) if digits else ""


def seal(apps, schema_editor):
    PhoneAccount = apps.get_model("elderphone", "PhoneAccount")
    SmsCode = apps.get_model("elderphone", "SmsCode")
    for pk, phone in PhoneAccount.objects.values_list("pk", "phone").iterator(chunk_size=2000):
        PhoneAccount.objects.filter(pk=pk).update(phone_encrypted=crypto.encrypt(phone, context=CONTEXT),
                                                  phone_index=_index(phone))
    for phone in SmsCode.objects.values_list("phone", flat=True).distinct():
        SmsCode.objects.filter(phone=phone).update(phone_index=_index(phone), phone="")


def unseal(apps, schema_editor):
    PhoneAccount = apps.get_model("elderphone", "PhoneAccount")
    SmsCode = apps.get_model("elderphone", "SmsCode")
    for pk, token in PhoneAccount.objects.values_list("pk", "phone_encrypted").iterator(chunk_size=2000):
        phone = crypto.decrypt(token, context=CONTEXT)
        PhoneAccount.objects.filter(pk=pk).update(phone=phone)
        SmsCode.objects.filter(phone_index=_index(phone)).update(phone=phone)


class Migration(migrations.Migration):
    dependencies = [("elderphone", "0002_sealed_phone_fields")]

    operations = [migrations.RunPython(seal, unseal)]
