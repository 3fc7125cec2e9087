"""Stable error codes of the policy adapter (the API's `code`; clients switch on them)."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    "POLICY_UNAVAILABLE": (503, "本市优惠政策未配置或无法加载", "the city's policy is not configured"),
}


def rules_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)
