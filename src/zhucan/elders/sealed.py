"""The elder's sealed contact fields: their encryption contexts, and the generic helpers of
`zhucan.core.sealed` under the names the elder code (and the phone page) import from here."""

from __future__ import annotations

from zhucan.core import sealed as _core
from zhucan.core.sealed import mask_address, mask_phone, phone_digits, sealed_text

PHONE_CONTEXT = "elder.phone"
ADDRESS_CONTEXT = "elder.address"

__all__ = ["ADDRESS_CONTEXT", "PHONE_CONTEXT", "mask_address", "mask_phone", "phone_digits", "phone_index",
           "sealed_text"]


def phone_index(raw: str, *, purpose: str = PHONE_CONTEXT) -> str:
    """The blind index of a phone number; an elder's number unless another purpose is named."""
    return _core.phone_index(raw, purpose=purpose)
