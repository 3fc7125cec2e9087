"""Short-lived signed viewing addresses (issue #19 item 3).

A viewer never gets a camera's address or credentials: the browser receives a token naming who may
watch (the user, or nobody for the public kiosk), which channel, live or which recorded range, the
viewing session it belongs to, and when it expires (~5 minutes). The relay's views check it on every
playlist and every segment request; the player renews it with the session's heartbeat.

Signed with Django's signing (HMAC over SECRET_KEY, its own salt). The expiry is in the payload and
compared with `clock.real_now()`: a security window holds against the real world even on the demo's
simulated clock (tests freeze both).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing

from zhucan.core import clock

_SALT = "zhucan.video.view.v1"


def token_lifetime() -> timedelta:
    return timedelta(seconds=getattr(settings, "ZHUCAN_VIDEO_TOKEN_SECONDS", 300))


@dataclass(frozen=True)
class Grant:
    """What a valid token allows: one channel, live or one recorded range, until `expires`."""

    channel_id: int
    user_id: int | None  # None: the public kiosk (public channels only)
    start: datetime | None  # None: live
    session_id: int | None
    expires: datetime

    @property
    def live(self) -> bool:
        return self.start is None

    @property
    def stream_key(self) -> str:
        """The relay's name for the stream: one directory of var/video per key."""
        if self.start is None:
            return f"live-{self.channel_id}"
        return f"pb-{self.channel_id}-{int(self.start.timestamp())}"


class BadToken(Exception):
    """Expired, forged, or issued for someone or something else. `reason` is for logs and tests."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def token_issue(*, channel_id: int, user_id: int | None, start: datetime | None = None,
                session_id: int | None = None, now: datetime | None = None) -> str:
    expires = (now or clock.real_now()) + token_lifetime()
    payload = {"c": channel_id, "u": user_id, "e": int(expires.timestamp()), "v": session_id,
               "s": int(start.timestamp()) if start is not None else None}
    return signing.dumps(payload, salt=_SALT, compress=False)


def token_read(token: str, *, user_id: int | None, stream_key: str) -> Grant:
    """The grant of `token` for this request, or BadToken: forged or mangled, expired, issued to
    another user, or for another channel or range than the address asks for."""
    try:
        raw = signing.loads(token or "", salt=_SALT)
    except signing.BadSignature:
        raise BadToken("forged") from None
    try:
        grant = Grant(
            channel_id=int(raw["c"]),
            user_id=None if raw["u"] is None else int(raw["u"]),
            start=None if raw["s"] is None else datetime.fromtimestamp(int(raw["s"]), UTC),
            session_id=None if raw.get("v") is None else int(raw["v"]),
            expires=datetime.fromtimestamp(int(raw["e"]), UTC),
        )
    except (KeyError, TypeError, ValueError):
        raise BadToken("malformed") from None
    if grant.expires <= clock.real_now():
        raise BadToken("expired")
    if grant.user_id is not None and grant.user_id != user_id:
        raise BadToken("other user")
    if grant.stream_key != stream_key:
        raise BadToken("other stream")
    return grant
