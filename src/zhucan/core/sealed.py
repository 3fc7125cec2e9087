"""Personal text kept only as ciphertext on the model (PIPL): `obj.phone` reads and writes plain
text while the row holds `phone_encrypted` (AES-256-GCM, zhucan.core.crypto) and, where lookup is
needed, `phone_index` (a keyed blind index), so nothing can filter or sort on the plaintext.

Decryption happens on first read and is remembered on the instance, so loading rows never pays for
plaintext nobody reads. The masks are what lists, exports and audit rows show instead."""

from __future__ import annotations

import re

from zhucan.core import crypto

_NOT_DIGIT = re.compile(r"\D")


def mask_name(name: str) -> str:
    """张秀英 → 张*英, 张三 → 张*, 欧阳娜娜 → 欧**娜: enough to greet the elder, not to find them."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def phone_digits(raw: str) -> str:
    """What identifies a phone number for lookup: its digits, without a +86 / 0086 prefix."""
    digits = _NOT_DIGIT.sub("", raw or "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits


def phone_index(raw: str, *, purpose: str) -> str:
    digits = phone_digits(raw)
    return crypto.blind_index(digits, purpose=purpose) if digits else ""


def mask_phone(phone: str) -> str:
    """13812341234 → 138****1234, 0571-88001234 → 057******1234: the end stays recognisable."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_address(address: str) -> str:
    """浙江省杭州市西湖区北山街道保俶社区3幢2单元 → 浙江省杭州市****: enough to see the area, not the door."""
    address = (address or "").strip()
    if not address:
        return ""
    keep = min(6, len(address) // 2)
    return address[:keep] + "****"


def sealed_text(name: str, *, context: str, index_purpose: str = "") -> property:
    """A property over `<name>_encrypted` (and `<name>_index` when `index_purpose` is given). A real
    `property`, so that `Model(phone=...)` is accepted like any model attribute."""
    column, cache = f"{name}_encrypted", f"_{name}_plain"

    def get(obj) -> str:
        token = getattr(obj, column)
        cached = obj.__dict__.get(cache)
        if cached is not None and cached[0] == token:
            return cached[1]
        plain = crypto.decrypt(token, context=context) if token else ""
        obj.__dict__[cache] = (token, plain)
        return plain

    def set_(obj, value) -> None:
        plain = (value or "").strip()
        token = crypto.encrypt(plain, context=context) if plain else ""
        setattr(obj, column, token)
        obj.__dict__[cache] = (token, plain)
        if index_purpose:
            setattr(obj, f"{name}_index", phone_index(plain, purpose=index_purpose) if plain else "")

    return property(get, set_)
