"""Mainland mobile numbers: normalised to 11 digits (1[3-9]xxxxxxxxx), masked in lists."""

from __future__ import annotations

import re

from zhucan.core.sealed import mask_name
from zhucan.elderphone.errors import phone_error
from zhucan.elders import sealed

# Account numbers are stored encrypted under this context and found through a blind index of it.
PHONE_CONTEXT = "elderphone.phone"

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_NOISE = re.compile(r"[\s\-()（）]")


def phone_normalise(raw: str) -> str:
    """'+86 138-0013-8000' → '13800138000'; anything else → PHONE_INVALID."""
    value = _NOISE.sub("", raw or "")
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    if not _MOBILE.match(value):
        raise phone_error("PHONE_INVALID", field="phone")
    return value


def phone_index(phone: str) -> str:
    """The blind index a normalised number is found by (accounts and SMS rate limits)."""
    return sealed.phone_index(phone, purpose=PHONE_CONTEXT)


def phone_mask(phone: str) -> str:
    """13812341234 → 138****1234 (what lists and pages show)."""
    if len(phone) != 11:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def name_mask(name: str) -> str:
    """张秀英 → 张*英 (the name shown beside the code on the phone, which cashiers and bystanders see)."""
    return mask_name(name)
