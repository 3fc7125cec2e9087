"""Existing users' phone numbers are encrypted, and the audit rows of user changes keep them only
masked (they were written whole before). Reversible: going back decrypts into the plain column; the
audit rows stay masked, since a whole number there was never needed.

The helpers are copied here on purpose: a migration must keep doing what it did when it was written,
whatever the app code becomes later."""

from django.db import migrations

from zhucan.core import crypto

CONTEXT = "accounts.user.phone"


def _mask(phone):
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def seal(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    rows = User.objects.exclude(phone="").values_list("pk", "phone")
    for pk, phone in rows.iterator(chunk_size=2000):
        phone = (phone or "").strip()
        User.objects.filter(pk=pk).update(phone_encrypted=crypto.encrypt(phone, context=CONTEXT) if phone else "")
    AuditLog = apps.get_model("core", "AuditLog")
    for log in AuditLog.objects.filter(object_type="accounts.user").iterator(chunk_size=2000):
        changed = False
        for side in ("before", "after"):
            data = getattr(log, side)
            if isinstance(data, dict) and data.get("phone"):
                masked = _mask(str(data["phone"]))
                if masked != data["phone"]:
                    data["phone"], changed = masked, True
        if changed:
            AuditLog.objects.filter(pk=log.pk).update(before=log.before, after=log.after)


def unseal(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    rows = User.objects.exclude(phone_encrypted="").values_list("pk", "phone_encrypted")
    for pk, token in rows.iterator(chunk_size=2000):
        User.objects.filter(pk=pk).update(phone=crypto.decrypt(token, context=CONTEXT))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_user_phone_encrypted"), ("core", "0001_initial")]

    operations = [migrations.RunPython(seal, unseal)]
