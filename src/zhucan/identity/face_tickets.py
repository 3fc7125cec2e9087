"""Face tickets: what a face check answers an API client, for the following quote or commit to
present instead of the image (photos are too large for the signed JSON calls, and the check must
not be repeated per call). Signed with the platform's secret, bound to the canteen and the elder,
valid FACE_TICKET_SECONDS by the platform's clock; the ticket carries the method the elder was
identified by (face for 1:N; the card or code a 1:1 check confirmed) and a printed card code's id."""

from __future__ import annotations

from django.core import signing

from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.identity.errors import face_ticket_error

_SALT = "zhucan.identity.face_ticket"
FACE_TICKET_SECONDS = 120


def issue(*, elder_id: int, method: str, code_id: str, canteen: Canteen) -> str:
    return signing.dumps({"e": elder_id, "c": canteen.pk, "m": method, "k": code_id,
                          "t": int(clock.real_now().timestamp())}, salt=_SALT, compress=True)


def read(ticket: str, *, canteen: Canteen, elder_id: int | None = None) -> tuple[int, str, str]:
    """(elder id, method, card code id) of a valid ticket issued at this canteen (and, with
    `elder_id`, for that elder), else FACE_TICKET_INVALID saying why."""
    try:
        data = signing.loads((ticket or "").strip(), salt=_SALT)
    except signing.BadSignature as exc:
        raise face_ticket_error("invalid") from exc
    issued = data.get("t")
    # A few seconds "from the future" are one server's clock against another's, not a forgery.
    if not isinstance(issued, int) or not -5 <= clock.real_now().timestamp() - issued <= FACE_TICKET_SECONDS:
        raise face_ticket_error("expired", seconds=FACE_TICKET_SECONDS)
    if data.get("c") != canteen.pk:
        raise face_ticket_error("canteen")
    if elder_id is not None and data.get("e") != elder_id:
        raise face_ticket_error("elder")
    return int(data["e"]), str(data.get("m", "face")), str(data.get("k", ""))
