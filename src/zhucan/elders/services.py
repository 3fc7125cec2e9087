"""Writes to the elder registry. Each is one transaction with its audit row (STYLE: services)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.core import clock, crypto
from zhucan.core.audit import audit_record, snapshot
from zhucan.core.errors import DomainError, PermissionDenied
from zhucan.core.idnumber import IdNumberError, mask_id_number, parse_id_number
from zhucan.elders import errors
from zhucan.elders.models import Elder, ElderStatus, Tag, Verification
from zhucan.face.services import face_data_close
from zhucan.regions.models import Level, Region

ID_CONTEXT = "elder.id_number"
AUDITED_FIELDS = [
    "name", "id_number_masked", "birth_date", "sex", "community", "hukou_district", "hukou_note", "tags",
    "status", "status_since", "verification", "verification_reason",
]


def id_number_index(number: str) -> str:
    return crypto.blind_index(number, purpose=ID_CONTEXT)


def id_number_check(raw: str) -> tuple[str, date, str]:
    """Validate an ID number: (normalised number, birth date, sex) or a field error."""
    try:
        parsed = parse_id_number(raw, today=clock.local_today())
    except IdNumberError as exc:
        raise DomainError(
            code=f"ID_{exc.code}", message_zh=exc.message_zh, message_en=exc.message_en, field="id_number"
        ) from exc
    return parsed.number, parsed.birth_date, parsed.sex


@dataclass
class ElderData:
    """What a person enters for an elder (console form, import row or API body)."""

    name: str
    id_number: str
    community: Region
    phone: str = ""
    address: str = ""
    hukou_district: Region | None = None
    hukou_note: str = ""
    citizen_card_number: str | None = None
    tag_codes: tuple[str, ...] = ()
    status: str = ElderStatus.ACTIVE
    status_since: date | None = None


def _check_community(*, actor, community: Region) -> None:
    in_scope = restrict(Region.objects.all(), actor, "view").filter(pk=community.pk).exists()
    if community.level != Level.COMMUNITY or not in_scope:
        raise errors.bad_community()


def _check_status(data: ElderData) -> None:
    if data.status not in ElderStatus.values or data.status == ElderStatus.WITHDRAWN:
        raise errors.bad_status()
    if data.status != ElderStatus.ACTIVE and data.status_since is None:
        raise errors.status_needs_date()


def _tags(codes: tuple[str, ...]) -> list[Tag]:
    tags = list(Tag.objects.filter(code__in=codes))
    unknown = set(codes) - {t.code for t in tags}
    if unknown:
        raise DomainError(
            code="ELDER_UNKNOWN_TAG",
            message_zh=f"未知标签：{'、'.join(sorted(unknown))}",
            message_en=f"unknown tags: {', '.join(sorted(unknown))}",
            field="tags",
        )
    return tags


def _apply(elder: Elder, data: ElderData) -> None:
    elder.name = data.name.strip()
    if data.phone.strip() != elder.phone:  # unchanged text keeps its ciphertext (no audit noise)
        elder.phone = data.phone
    if data.address.strip() != elder.address:
        elder.address = data.address
    elder.community = data.community
    elder.hukou_district = data.hukou_district
    elder.hukou_note = data.hukou_note.strip()
    elder.status = data.status
    elder.status_since = data.status_since if data.status != ElderStatus.ACTIVE else None


def _save(elder: Elder) -> None:
    try:
        with transaction.atomic():
            elder.save()
    except IntegrityError as exc:
        if "id_number_index" in str(exc).lower():
            raise errors.duplicate_id_number() from exc
        raise


def _bind_card(*, actor, elder: Elder, number: str | None, ip: str | None) -> None:
    """A card number entered with the record goes to the card table (encrypted, blind-indexed), the
    only place card numbers live. A different card for an elder who has one is 补卡 on the card panel."""
    # identity builds on the registry (it imports this module), so it is reached when used.
    from zhucan.identity import services as identity
    from zhucan.identity.models import CardStatus, CitizenCard

    number = (number or "").strip()
    if not number:
        return
    try:
        normalised = identity.card_number_normalise(number)
        active = CitizenCard.objects.filter(elder_id=elder.pk, status=CardStatus.ACTIVE).first()
        if active is not None:
            if active.number_index != identity.card_number_index(normalised):
                raise errors.card_change_needs_replacement()
            return
        identity.card_bind(actor=actor, elder_id=elder.pk, number=normalised, ip=ip)
    except DomainError as exc:
        if exc.code == "CARD_NUMBER_TAKEN":
            raise errors.duplicate_card() from exc
        exc.field = "citizen_card_number"
        raise


def elder_register(*, actor, data: ElderData, ip: str | None = None) -> Elder:
    """Create an elder's record (LC-8: registered by subdistrict staff, pending verification)."""
    if not has_perm(actor, "elder", "create"):
        raise PermissionDenied("新建老人档案", "register elders")
    if not data.name.strip():
        raise DomainError("ELDER_NAME_REQUIRED", "请填写姓名", "name is required", field="name")
    number, birth_date, sex = id_number_check(data.id_number)
    _check_community(actor=actor, community=data.community)
    _check_status(data)
    tags = _tags(data.tag_codes)
    with transaction.atomic():
        index = id_number_index(number)
        if Elder.objects.filter(id_number_index=index).exists():
            raise errors.duplicate_id_number()
        elder = Elder(
            id_number_encrypted=crypto.encrypt(number, context=ID_CONTEXT),
            id_number_index=index,
            id_number_masked=mask_id_number(number),
            birth_date=birth_date,
            sex=sex,
        )
        _apply(elder, data)
        _save(elder)
        elder.tags.set(tags)
        audit_record(actor=actor, action="elder.create", obj=elder, region_path=elder.community.path,
                     after=_audited(elder, card=data.citizen_card_number), ip=ip)
        _bind_card(actor=actor, elder=elder, number=data.citizen_card_number, ip=ip)
    return elder


def _audited(elder: Elder, *, card: str | None = None) -> dict:
    """The audit picture of an elder: phone, address and card number masked like everywhere else they
    are shown (the audit log is read by auditors and administrators; the values are personal data)."""
    return _audited_plain(elder, AUDITED_FIELDS, card=card)


def _audited_plain(elder: Elder, fields: list[str], *, card: str | None = None) -> dict:
    data = snapshot(elder, fields)
    data["phone"] = elder.phone_masked
    data["address"] = elder.address_masked
    number = (card or "").strip()
    if number:
        keep = 4 if len(number) > 10 else 2
        data["citizen_card_number"] = number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]
    return data


def elder_update(*, actor, elder_id: int, data: ElderData, ip: str | None = None) -> Elder:
    """Change an elder's record. A changed ID number is re-validated, re-encrypted, re-indexed."""
    with transaction.atomic():
        elder = get_scoped(Elder.objects.select_for_update(of=("self",)), actor, "change", pk=elder_id,
                           what_zh="老人档案", what_en="elder")
        if elder.erased_at is not None:
            raise errors.erased()
        before = _audited(elder)
        phone_before, address_before = elder.phone_encrypted, elder.address_encrypted
        if not data.name.strip():
            raise DomainError("ELDER_NAME_REQUIRED", "请填写姓名", "name is required", field="name")
        if data.id_number:
            number, birth_date, sex = id_number_check(data.id_number)
            index = id_number_index(number)
            if index != elder.id_number_index:
                if Elder.objects.filter(id_number_index=index).exclude(pk=elder.pk).exists():
                    raise errors.duplicate_id_number()
                elder.id_number_encrypted = crypto.encrypt(number, context=ID_CONTEXT)
                elder.id_number_index = index
                elder.id_number_masked = mask_id_number(number)
                elder.birth_date, elder.sex = birth_date, sex
        _check_community(actor=actor, community=data.community)
        _check_status(data)
        tags = _tags(data.tag_codes)
        was_active = elder.status == ElderStatus.ACTIVE
        _apply(elder, data)
        _save(elder)
        elder.tags.set(tags)
        after = _audited(elder)
        if after != before or elder.phone_encrypted != phone_before or elder.address_encrypted != address_before:
            audit_record(actor=actor, action="elder.update", obj=elder, region_path=elder.community.path,
                         before=before, after=after, ip=ip)
        _bind_card(actor=actor, elder=elder, number=data.citizen_card_number, ip=ip)
        if was_active and elder.status != ElderStatus.ACTIVE:
            # A deceased or moved-away elder no longer eats here: face data has no purpose left (PIPL art. 47).
            face_data_close(actor=actor, elder=elder, reason=f"老人状态变更为{elder.get_status_display()}", ip=ip)
    return elder


def elder_verify(*, actor, elder_id: int, approve: bool, reason: str = "", ip: str | None = None) -> Elder:
    """LC-8: subdistrict staff gate eligibility — verified, or rejected with a reason."""
    if not has_perm(actor, "elder", "verify"):
        raise PermissionDenied("核查老人资格", "verify elders")
    reason = reason.strip()
    if not approve and not reason:
        raise errors.rejection_needs_reason()
    with transaction.atomic():
        elder = get_scoped(Elder.objects.select_for_update(of=("self",)), actor, "verify", pk=elder_id,
                           what_zh="老人档案", what_en="elder")
        before = snapshot(elder, ["verification", "verification_reason"])
        elder.verification = Verification.VERIFIED if approve else Verification.REJECTED
        elder.verification_reason = reason
        elder.verified_by = actor
        elder.verified_at = clock.now()
        elder.save(update_fields=["verification", "verification_reason", "verified_by", "verified_at",
                                  "updated_at"])
        audit_record(actor=actor, action="elder.verify", obj=elder, region_path=elder.community.path,
                     before=before, after=snapshot(elder, ["verification", "verification_reason"]), ip=ip)
    return elder


REVEALABLE = {
    "id_number": ("查看完整身份证号", "see full ID numbers"),
    "phone": ("查看完整联系电话", "see full phone numbers"),
    "address": ("查看完整居住地址", "see full addresses"),
}


def elder_reveal(*, actor, elder_id: int, field: str, ip: str | None = None) -> str:
    """One personal field in full, for roles that need it (those who register and verify elders);
    every look is written to the audit log with who, which elder and which field (PIPL)."""
    if field not in REVEALABLE:
        raise DomainError("ELDER_FIELD_UNKNOWN", "没有这一项", "no such field", field="field")
    what_zh, what_en = REVEALABLE[field]
    if not has_perm(actor, "elder", "reveal_id"):
        raise PermissionDenied(what_zh, what_en)
    with transaction.atomic():
        elder = get_scoped(Elder.objects.all(), actor, "reveal_id", pk=elder_id,
                           what_zh="老人档案", what_en="elder")
        if elder.erased_at is not None:
            raise errors.erased()
        if field == "id_number":
            value = crypto.decrypt(elder.id_number_encrypted, context=ID_CONTEXT)
        else:
            value = getattr(elder, field)
        action = "elder.reveal_id" if field == "id_number" else f"elder.reveal_{field}"
        audit_record(actor=actor, action=action, obj=elder, region_path=elder.community.path,
                     after={"field": field}, note=what_zh, ip=ip)
    return value


def elder_reveal_id_number(*, actor, elder_id: int, ip: str | None = None) -> str:
    """The full ID number (see `elder_reveal`)."""
    return elder_reveal(actor=actor, elder_id=elder_id, field="id_number", ip=ip)


def elder_set_diet(*, actor, elder_id: int, notes: list[str], allergies: str = "", ip: str | None = None) -> Elder:
    """Diet notes (low-salt, soft, no pork …) and free-text allergies on the elder's record; the
    kitchen's production sheet, the meal labels and the courier's route show them. Audited."""
    from zhucan.elders.models import DietNote

    if not has_perm(actor, "elder", "change"):
        raise PermissionDenied("修改老人档案", "change elders")
    unknown = [n for n in notes or [] if n not in DietNote.values]
    if unknown:
        raise DomainError("ELDER_DIET_UNKNOWN", "饮食要求选项不正确", "unknown diet note", field="diet_notes")
    allergies = (allergies or "").strip()
    if len(allergies) > 200:
        raise DomainError("ELDER_ALLERGIES_TOO_LONG", "过敏说明不能超过200字", "allergies: at most 200 characters",
                          field="allergies")
    chosen = [n for n in DietNote.values if n in set(notes or [])]
    with transaction.atomic():
        elder = get_scoped(Elder.objects.select_for_update(), actor, "change", pk=elder_id,
                           what_zh="老人档案", what_en="elder")
        if elder.erased_at is not None:
            raise errors.erased()
        before = {"diet_notes": list(elder.diet_notes or []), "allergies": elder.allergies}
        elder.diet_notes, elder.allergies = chosen, allergies
        elder.save(update_fields=["diet_notes", "allergies", "updated_at"])
        audit_record(actor=actor, action="elder.diet", obj=elder, region_path=elder.community.path,
                     before=before, after={"diet_notes": chosen, "allergies": allergies}, ip=ip)
    return elder
