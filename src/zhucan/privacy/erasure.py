"""An elder who withdraws from the programme (退出项目): their personal data is erased (PIPL art. 47)
while the meals they ate and the money paid for them stay, for settlement and audit.

The elder's row stays (meals point to it and the ledger's hash chain covers the elder id, not the
person), but everything that identifies the person goes: name and ID number are replaced by a
pseudonym, phone, address, card numbers, tags and the out-of-city household note are removed, the
birth date keeps only its year (the age band the statistics need); face data is deleted and its
consents closed; cards, card codes, the PIN and the QR handle stop identifying anyone; the phone
page accounts are unbound. One transaction, one audit row with the reason and what was removed.
Existing audit rows are not rewritten: the audit log is the record of who did what.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped
from zhucan.core import clock, crypto
from zhucan.core.audit import audit_record
from zhucan.core.errors import PermissionDenied
from zhucan.elders import errors
from zhucan.elders.models import Elder, ElderStatus
from zhucan.face.services import face_data_close

ERASED_ID_MASK = "已删除"


def pseudonym(elder_id: int) -> str:
    return f"已退出老人{elder_id}"


def elder_erase(*, actor, elder_id: int, reason: str, confirm_name: str, ip: str | None = None) -> Elder:
    """Erase the personal data of an elder who withdraws; `confirm_name` must repeat the elder's
    current name (the console's confirmation)."""
    from zhucan.elderphone.models import Binding
    from zhucan.identity.models import CitizenCard, ElderCodeHandle, ElderPin
    from zhucan.identity.services import card_code_revoke

    if not has_perm(actor, "elder", "change"):
        raise PermissionDenied("删除老人个人信息", "erase elders' personal data")
    reason = (reason or "").strip()
    with transaction.atomic():
        elder = get_scoped(Elder.objects.select_for_update(of=("self",)).select_related("community"), actor,
                           "change", pk=elder_id, what_zh="老人档案", what_en="elder")
        if elder.erased_at is not None:
            raise errors.erased()
        if not reason:
            raise errors.erasure_needs_reason()
        if (confirm_name or "").strip() != elder.name:
            raise errors.erasure_not_confirmed()
        now, today = clock.now(), clock.local_today()

        face_data_close(actor=actor, elder=elder, reason="老人退出项目", ip=ip)
        codes = card_code_revoke(actor=actor, elder_id=elder.pk, reason="老人退出项目", ip=ip)
        cards = CitizenCard.objects.filter(elder_id=elder.pk)
        cards.update(replaced_by=None)  # the history points within itself; it goes as a whole
        card_count, _ = cards.delete()
        ElderPin.objects.filter(elder_id=elder.pk).delete()
        ElderCodeHandle.objects.filter(elder_id=elder.pk).delete()
        unbound = _unbind_phones(actor=actor, elder=elder, now=now, binding_model=Binding)

        elder.name = pseudonym(elder.pk)
        elder.id_number_encrypted = ""
        elder.id_number_index = crypto.blind_index(f"erased:{elder.pk}", purpose="elder.erased")
        elder.id_number_masked = ERASED_ID_MASK
        elder.birth_date = date(elder.birth_date.year, 1, 1)
        elder.phone = ""
        elder.address = ""
        elder.hukou_note = ""
        elder.status = ElderStatus.WITHDRAWN
        elder.status_since = today
        elder.erased_at = now
        elder.save()
        elder.tags.clear()
        audit_record(actor=actor, action="elder.erase", obj=elder, region_path=elder.community.path,
                     after={"cards_deleted": card_count, "card_codes_revoked": codes, "phone_accounts_unbound": unbound,
                            "fields": ["name", "id_number", "birth_date", "phone", "address", "hukou_note", "tags"]},
                     note=reason[:500], ip=ip)
    return elder


def _unbind_phones(*, actor, elder: Elder, now, binding_model) -> int:
    """End every phone-page binding to the elder; an account left with no elder is closed and loses
    its number, name and password."""
    bindings = list(binding_model.objects.filter(elder_id=elder.pk, revoked_at__isnull=True)
                    .select_related("account"))
    staff = actor if getattr(actor, "pk", None) else None
    for binding in bindings:
        binding.revoked_at, binding.revoked_by = now, staff
        binding.save(update_fields=["revoked_at", "revoked_by"])
        account = binding.account
        if not binding_model.objects.filter(account=account, revoked_at__isnull=True).exists():
            account.is_active = False
            account.password = ""
            account.display_name = ""
            account.phone_encrypted = ""
            # Unique, and matching no number: the person may later open a new account with it.
            account.phone_index = crypto.blind_index(f"erased:{account.pk}", purpose="elderphone.erased")
            account.save(update_fields=["is_active", "password", "display_name", "phone_encrypted", "phone_index"])
    return len(bindings)
