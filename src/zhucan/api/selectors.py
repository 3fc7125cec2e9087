"""Reads behind API v1: who is this elder (card, ID number, elder id), what may they still get
today, what does the terminal's canteen sell. A terminal sees only elders of its own city; an elder
elsewhere answers exactly like an unknown one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from zhucan.api.errors import api_error
from zhucan.canteens.models import Canteen
from zhucan.checkout.context import canteen_context
from zhucan.checkout.errors import REASON_ZH, checkout_error
from zhucan.checkout.facts import canteen_facts, elder_facts, policy_for_canteen
from zhucan.checkout.models import ElderDayUsage, IdentifiedBy
from zhucan.checkout.services import remaining_allowance
from zhucan.core import clock, rows
from zhucan.core.errors import DomainError
from zhucan.core.hotcursor import hot_cursor
from zhucan.elders.models import Elder, Tag
from zhucan.elders.services import id_number_check, id_number_index
from zhucan.policy import DayUsage, PolicyError, Quote, evaluate
from zhucan.regions.models import Region

# A nominal price for the eligibility hint: only "would a meal now get a benefit" matters.
_PROBE_FEN = 1000

_LIMIT_MESSAGES = {
    "PERIOD_ALREADY_USED": ("本时段优惠已使用，本餐按原价", "this period's benefit is used; full price now"),
    "DAILY_CAP_REACHED": ("今日优惠额度已用完，本餐按原价", "today's benefit cap is reached; full price now"),
    "DAILY_MEALS_USED": ("今日优惠餐次已用完，本餐按原价", "today's subsidised meals are used; full price now"),
    "OUTSIDE_MEAL_PERIOD": ("当前不在优惠供餐时段", "outside the subsidised meal periods"),
}


@dataclass
class Identified:
    elder: Elder
    identified_by: str


def mask_name(name: str) -> str:
    """张秀英 → 张*英, 张三 → 张*, 欧阳娜娜 → 欧**娜."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# A card: its active CitizenCard through the blind index (one parameter).
_ELDER_BY = {"card": 'e."id" IN (SELECT c."elder_id" FROM identity_citizencard c WHERE c."number_index" = %s '
                     'AND c."status" = \'active\')', "index": 'e."id_number_index" = %s', "pk": 'e."id" = %s'}


@cache
def _elder_sql(by: str, vendor: str, with_usage: bool) -> str:
    """One statement: the elder (by card, blind index or id) within the city, the name of their
    household district and their tags (as JSON), optionally the day's usage row."""
    if vendor == "postgresql":
        tags = "json_agg(json_build_array(tg.id, tg.code, tg.name, tg.region_id))"
    else:
        tags = "json_group_array(json_array(tg.id, tg.code, tg.name, tg.region_id))"
    usage_col = ", u.usage" if with_usage else ""
    usage_join = " LEFT JOIN checkout_elderdayusage u ON u.elder_id = e.id AND u.local_date = %s" if with_usage else ""
    return (f"SELECT {rows.columns(Elder, 'e')}, h.name, "
            f"(SELECT {tags} FROM elders_tag tg JOIN elders_elder_tags et ON et.tag_id = tg.id "
            f"WHERE et.elder_id = e.id){usage_col} "
            "FROM elders_elder e JOIN regions_region m ON m.id = e.community_id "
            f"LEFT JOIN regions_region h ON h.id = e.hukou_district_id{usage_join} "
            f"WHERE {_ELDER_BY[by]} AND m.path LIKE %s ESCAPE '\\'")


def _find_elder(canteen: Canteen, by: str, value, usage_on: date | None = None) -> Elder | None:
    city_path = canteen_context(canteen).city_path
    if not city_path:
        return None
    prefix = city_path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    values = list(value) if by == "card" else [value]
    params = [usage_on, *values, prefix] if usage_on is not None else [*values, prefix]
    cur = hot_cursor()
    cur.execute(_elder_sql(by, cur.db.vendor, usage_on is not None), params)
    row = cur.fetchone()
    if row is None:
        return None
    n = rows.width(Elder)
    elder = rows.build(Elder, row[:n])
    district_name, tag_rows = row[n], row[n + 1]
    if elder.hukou_district_id is not None:
        elder.hukou_district = rows.build(Region, (elder.hukou_district_id, district_name), ("id", "name"))
    if isinstance(tag_rows, str):
        tag_rows = json.loads(tag_rows)
    tags = [rows.build(Tag, t) for t in tag_rows or () if t and t[0] is not None]
    tags.sort(key=lambda t: (t.region_id is not None, t.region_id or 0, t.code))  # Tag.Meta.ordering
    qs = Tag.objects.none()
    qs._result_cache, qs._prefetch_done = tags, True
    elder._prefetched_objects_cache = {"tags": qs}
    if usage_on is not None:
        usage = row[n + 2]
        elder.usage_read = (usage_on, json.loads(usage) if isinstance(usage, str) else usage)
    return elder


def elder_identify(*, canteen: Canteen, card_number: str | None = None, id_number: str | None = None,
                   elder_id: int | None = None, identified_by: str | None = None,
                   usage_on: date | None = None, qr_token: str | None = None, consume: bool = False,
                   face_ticket: str | None = None, pin: str | None = None) -> Identified:
    """Find the elder by exactly one of card number (blind-indexed ID not needed), 18-digit ID
    number (blind index, never decrypting the table) or elder id. With `usage_on`, the same
    statement reads the elder's usage row of that day (for a quote: read, not locked) and leaves it
    on `elder.usage_read` as (day, usage dict or None)."""
    ticket_alone = face_ticket if not qr_token else None  # with a card code the ticket is its 2nd factor
    given = [v for v in (card_number, id_number, elder_id, qr_token, ticket_alone) if v not in (None, "")]
    if len(given) != 1:
        raise DomainError(code="INPUT_INVALID",
                          message_zh="请只提供市民卡号、身份证号、档案号、长者码、人脸核验凭证中的一项",
                          message_en="give exactly one of card_number, id_number, elder_id, qr_token, face_ticket",
                          field="elder", http_status=400)
    if pin and not qr_token:
        raise DomainError(code="INPUT_INVALID", message_zh="密码只用于打印版长者卡码的二次核验",
                          message_en="pin goes only with a printed card code (qr_token)", field="pin",
                          http_status=400)
    if qr_token:
        return _identify_by_qr(canteen, qr_token, consume, usage_on, face_ticket=face_ticket, pin=pin)
    if face_ticket:
        return _identify_by_ticket(canteen, face_ticket, usage_on)
    if card_number:
        return _identify_by_card(canteen, card_number, usage_on)
    if id_number:
        number, _birth, _sex = id_number_check(id_number)
        elder = _find_elder(canteen, "index", id_number_index(number), usage_on)
        if elder is None:
            raise checkout_error("ELDER_NOT_FOUND", field="id_number")
        return Identified(elder, IdentifiedBy.ID_NUMBER)
    try:
        pk = int(elder_id)
    except (TypeError, ValueError):
        pk = None
    elder = _find_elder(canteen, "pk", pk, usage_on) if pk is not None and 0 < pk < 2**63 else None
    if elder is None:
        raise checkout_error("ELDER_NOT_FOUND", field="elder_id")
    return Identified(elder, identified_by or IdentifiedBy.ELDER_ID)


def _identify_by_card(canteen: Canteen, raw: str, usage_on: date | None) -> Identified:
    """By the card's blind index (never decrypting the card table); a lost or replaced card gets
    its own code (CARD_REPORTED_LOST / CARD_REPLACED), found only on this failure path."""
    from zhucan.identity.services import card_number_index, card_number_normalise, identify_by_card

    try:
        number = card_number_normalise(raw)
    except DomainError:
        raise checkout_error("CARD_UNKNOWN", field="card_number") from None
    elder = _find_elder(canteen, "card", (card_number_index(number),), usage_on)
    if elder is None:
        try:
            identify_by_card(number=number, canteen=canteen)
        except DomainError as exc:  # lost / replaced / unknown
            exc.field = "card_number"
            raise
        raise checkout_error("CARD_UNKNOWN", field="card_number")  # a card of another city
    return Identified(elder, IdentifiedBy.CARD)


# Which second factors the API takes for a printed card code, by the factor the canteen chose. The
# registered-photo check needs the cashier page (the photo is not sent to vendors' systems); a PIN
# or a face check is at least as strong, so the API takes either there.
_API_FACTORS = {"pin": ("pin",), "face": ("face",), "photo": ("pin", "face")}


def _identify_by_qr(canteen: Canteen, token: str, consume: bool, usage_on: date | None, *,
                    face_ticket: str | None = None, pin: str | None = None) -> Identified:
    """The elder QR code (HZ-9 长者码): verified with the platform's public keys; a dynamic code is
    used once (consumed by the commit, not by identify or quote). A printed card code needs its
    second factor in the same request: `pin`, or a `face_ticket` from /faces/verify for the same
    elder (see _API_FACTORS)."""
    from zhucan.identity import counter
    from zhucan.identity.services import identify_by_qr, verify_card_code_pin

    elder, method = identify_by_qr(token=token.strip(), canteen=canteen, consume=consume)
    by = IdentifiedBy.QR
    if method.requires_second_factor:
        accepted = _API_FACTORS.get(method.second_factor, ())
        if pin and "pin" in accepted:
            verify_card_code_pin(elder=elder, pin=pin.strip(), canteen=canteen)
        elif face_ticket and "face" in accepted:
            counter.face_ticket_read(face_ticket, canteen=canteen, elder_id=elder.pk)
        else:
            error = api_error("QR_SECOND_FACTOR_REQUIRED", field="qr_token", factors="、".join(
                {"pin": "密码（pin）", "face": "人脸核验凭证（face_ticket）"}[f] for f in accepted))
            error.details = {"factor": method.second_factor, "accepted": list(accepted)}
            raise error
        by = IdentifiedBy.QR_CARD
    elif face_ticket or pin:
        raise DomainError(code="INPUT_INVALID", message_zh="手机长者码无需二次核验，请勿同时提供密码或人脸凭证",
                          message_en="a dynamic elder code takes no second factor", field="elder", http_status=400)
    found = _find_elder(canteen, "pk", elder.pk, usage_on)  # the canteen's city only (HZ-5)
    if found is None:
        raise checkout_error("ELDER_NOT_FOUND", field="qr_token")
    return Identified(found, by)


def _identify_by_ticket(canteen: Canteen, ticket: str, usage_on: date | None) -> Identified:
    """A face ticket from /faces/identify (1:N: method face) or /faces/verify (1:1 after a card or
    code: that method), issued at this canteen within the last two minutes."""
    from zhucan.identity import counter

    elder_id, method, _code = counter.face_ticket_read(ticket, canteen=canteen)
    found = _find_elder(canteen, "pk", elder_id, usage_on)
    if found is None:
        raise checkout_error("ELDER_NOT_FOUND", field="face_ticket")
    return Identified(found, method if method in IdentifiedBy.values else IdentifiedBy.FACE)


def _usage(elder: Elder, at: datetime) -> tuple[DayUsage, ElderDayUsage | None]:
    day = clock.local_date(at)
    row = ElderDayUsage.objects.filter(elder=elder, local_date=day).first()
    return (DayUsage.from_dict(row.usage) if row and row.usage else DayUsage.empty(day)), row


def _probe(canteen: Canteen, elder: Elder, at: datetime, amount_fen: int, usage: DayUsage) -> Quote | None:
    try:
        return evaluate(policy_for_canteen(canteen), elder_facts(elder), canteen_facts(canteen), at,
                        amount_fen=amount_fen, usage=usage)
    except (PolicyError, DomainError):
        return None


def eligibility(*, canteen: Canteen, elder: Elder, at: datetime | None = None) -> dict:
    """Would a meal at this canteen, now, get a benefit? A hint for the cashier, not a quote."""
    at = at or clock.now()
    usage, _row = _usage(elder, at)
    quote = _probe(canteen, elder, at, _PROBE_FEN, usage)
    if quote is None:
        return {"status": "unknown", "reason_code": None, "message": "暂无法判断优惠资格",
                "message_en": "eligibility cannot be determined now"}
    if quote.benefit_fen > 0:
        return {"status": "eligible", "reason_code": None, "message": "符合助餐优惠条件",
                "message_en": "eligible for the meal benefit now"}
    reason = quote.reason_code
    if reason in _LIMIT_MESSAGES:
        zh, en = _LIMIT_MESSAGES[reason]
        return {"status": "limit_reached", "reason_code": reason, "message": zh, "message_en": en}
    zh = REASON_ZH.get(reason or "", "不在本助餐点的优惠范围内")
    return {"status": "not_eligible", "reason_code": reason, "message": f"不符合优惠条件：{zh}",
            "message_en": f"not eligible: {reason}"}


def remaining_now(*, canteen: Canteen, elder: Elder, at: datetime | None = None) -> list[dict]:
    """Today's allowance left before the next meal (per policy layer)."""
    at = at or clock.now()
    usage, _row = _usage(elder, at)
    quote = _probe(canteen, elder, at, 0, usage)
    return remaining_allowance(quote) if quote else []


def elder_usage_today(*, canteen: Canteen, elder: Elder, at: datetime | None = None) -> dict:
    at = at or clock.now()
    usage, row = _usage(elder, at)
    periods: dict[str, int] = {}
    for layer in (usage.to_dict().get("layers") or {}).values():
        for name, count in (layer.get("periods") or {}).items():
            periods[name] = max(periods.get(name, 0), count)
    return {
        "elder_id": elder.pk,
        "date": clock.local_date(at).isoformat(),
        "meals": row.meals if row else 0,
        "benefit_used_fen": row.benefit_fen if row else 0,
        "periods_used": periods,
        "remaining": remaining_now(canteen=canteen, elder=elder, at=at),
    }


def canteen_menu(*, canteen: Canteen) -> dict:
    return {
        "canteen_id": canteen.pk,
        "canteen_name": canteen.name,
        "status": canteen.status,
        "dishes": [
            {"dish_id": d.pk, "name": d.name, "category": d.category, "price_fen": d.price_fen}
            for d in canteen.dishes.filter(active=True).order_by("sort_order", "name")
        ],
        "periods": [
            {"name": p.name, "name_zh": str(p.get_name_display()), "start": f"{p.start:%H:%M}",
             "end": f"{p.end:%H:%M}"}
            for p in canteen.periods.order_by("start")
        ],
    }
