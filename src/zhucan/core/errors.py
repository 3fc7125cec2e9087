"""Errors that cross the API or reach a user: a stable code, a Chinese and an English message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field


@dataclass
class DomainError(Exception):
    """A refusal the user can act on. `code` is stable (API clients switch on it)."""

    code: str
    message_zh: str
    message_en: str
    field: str | None = None
    http_status: int = 400
    details: dict = dc_field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message_zh, "message_en": self.message_en}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


def coded_error(table: Mapping[str, tuple[int, str, str]], code: str, *, field: str | None = None,
                details: bool = True, **params) -> DomainError:
    """The error `code` of an app's table {code: (HTTP status, Chinese, English)}, with `params`
    filled into both messages (and kept as details, as text, unless `details` is False)."""
    status, zh, en = table[code]
    return DomainError(code=code, message_zh=zh.format(**params), message_en=en.format(**params), field=field,
                       http_status=status, details={k: str(v) for k, v in params.items()} if details else {})


class NotFound(DomainError):
    """Also what "not yours" looks like: the two must answer alike (Zulip, NetBox)."""

    def __init__(self, what_zh: str = "记录", what_en: str = "record"):
        super().__init__(
            code="NOT_FOUND",
            message_zh=f"{what_zh}不存在或无权查看",
            message_en=f"{what_en} not found",
            http_status=404,
        )


class PermissionDenied(DomainError):
    def __init__(self, action_zh: str = "执行此操作", action_en: str = "do this"):
        super().__init__(
            code="PERMISSION_DENIED",
            message_zh=f"您的角色无权{action_zh}",
            message_en=f"your role may not {action_en}",
            http_status=403,
        )


class ValidationFailed(DomainError):
    """One or more field errors; `errors` maps field name to a Chinese message."""

    def __init__(self, errors: dict[str, str], errors_en: dict[str, str] | None = None):
        first = next(iter(errors.items()))
        super().__init__(
            code="VALIDATION_FAILED",
            message_zh=f"{first[1]}",
            message_en=(errors_en or {}).get(first[0], "invalid input"),
            field=first[0],
            details={"errors": errors},
        )
        self.errors = errors
