"""Sending text messages: one small interface, a backend chosen by `ZHUCAN_SMS_BACKEND`.

A backend is any class whose instances have `send(phone, template_code, params) -> message id` and
raise `SmsSendError` when the provider refuses. Chinese SMS providers (Aliyun, Tencent Cloud …)
all work with a registered template code and named parameters, so an adapter for one is a class
with that single method, named by its dotted path in the setting — nothing else changes.

`ConsoleSmsBackend` (the default) delivers nothing: it writes the message to the log (the demo
server's console) and keeps it in an in-memory outbox that tests and the demo read.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

from zhucan.core import clock
from zhucan.elderphone.phones import phone_mask

log = logging.getLogger("zhucan.sms")

# The templates the platform sends; a provider registers the same codes with these texts.
TEMPLATES: dict[str, str] = {
    "H5_ACTIVATE": "【智慧助餐】{name}您好，社区已为您开通长者手机页，验证码{code}，5分钟内有效。"
                   "请打开手机页点“首次登录”设置密码。",
    "H5_RESET": "【智慧助餐】您正在重设长者手机页密码，验证码{code}，5分钟内有效。如非本人操作请忽略。",
    "H5_BOUND": "【智慧助餐】{name}您好，社区已将老人{elder}绑定到您的长者手机页账号。",
}


class SmsSendError(Exception):
    """The provider did not accept the message."""


@runtime_checkable
class SmsBackend(Protocol):
    def send(self, phone: str, template_code: str, params: dict[str, str]) -> str:
        """Send one templated message; return the provider's message id."""


def render(template_code: str, params: dict[str, str]) -> str:
    return TEMPLATES[template_code].format(**params)


@dataclass(frozen=True)
class OutboxMessage:
    message_id: str
    phone: str
    template_code: str
    params: dict[str, str] = field(default_factory=dict)
    text: str = ""
    sent_at: datetime | None = None


_OUTBOX: deque[OutboxMessage] = deque(maxlen=500)
_LOCK = threading.Lock()


class ConsoleSmsBackend:
    """Development: log the message and keep it in the outbox. Not for production: `zhucan check
    --deploy` warns while it is configured (zhucan.elderphone.checks)."""

    def send(self, phone: str, template_code: str, params: dict[str, str]) -> str:
        message = OutboxMessage(message_id=f"console-{uuid.uuid4().hex[:16]}", phone=phone,
                                template_code=template_code, params=dict(params),
                                text=render(template_code, params), sent_at=clock.real_now())
        with _LOCK:
            _OUTBOX.append(message)
        # WARNING so that it shows with the default log level in the demo server's console.
        log.warning("SMS (console, not sent) to %s [%s]: %s", phone_mask(phone), template_code, message.text)
        return message.message_id


def outbox(phone: str | None = None) -> list[OutboxMessage]:
    """Messages the console backend 'sent', oldest first (only those to `phone` if given)."""
    with _LOCK:
        items = list(_OUTBOX)
    return [m for m in items if phone is None or m.phone == phone]


def outbox_clear() -> None:
    with _LOCK:
        _OUTBOX.clear()


def last_code(phone: str) -> str | None:
    """The code in the latest message to `phone` (tests and the demo)."""
    for message in reversed(outbox(phone)):
        if "code" in message.params:
            return message.params["code"]
    return None


@lru_cache(maxsize=4)
def _backend_class(path: str):
    return import_string(path)


def get_backend() -> SmsBackend:
    path = getattr(settings, "ZHUCAN_SMS_BACKEND", "zhucan.elderphone.sms.ConsoleSmsBackend")
    return _backend_class(path)()


def backend_is_console() -> bool:
    return isinstance(get_backend(), ConsoleSmsBackend)
