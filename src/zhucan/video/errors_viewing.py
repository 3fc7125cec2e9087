"""Stable error codes of watching video (the console shows the Chinese)."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    "VIEW_PURPOSE_REQUIRED": (400, "请选择查看事由", "choose why you are watching"),
    "VIEW_PLAYBACK_TOO_OLD": (400, "只能回放最近{days}天内的录像", "playback reaches back {days} days only"),
    "VIEW_PLAYBACK_FUTURE": (400, "回放时间不能晚于当前时间", "playback cannot start in the future"),
    "VIEW_PLAYBACK_TIME_INVALID": (400, "请填写正确的回放时间", "give a valid playback time"),
    "VIEW_CHANNEL_INACTIVE": (409, "该通道已停用", "the channel is disabled"),
    "VIEW_SESSION_ENDED": (409, "本次查看已结束，请重新打开", "this viewing has ended; open it again"),
}


def view_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)
