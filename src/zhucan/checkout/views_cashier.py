"""The cashier page (收银台): dish keys → identify (card reader / scanner wedge) →
quote in large type → Enter to commit → receipt printed after the transaction → next customer.

The page state (order lines, the identified customer, tender, the quote's idempotency key) travels
in the form: every key press posts it and gets the state panel back (HTMX), so the server holds no
per-till session and the same view works without JavaScript. The canteen is always the cashier's
own (`request.user.canteen`): there is no canteen parameter to forge. The customer is a signed
token, so an elder id or the way they were identified cannot be edited in the browser.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from zhucan.accounts.gate import requires
from zhucan.accounts.permissions import has_perm
from zhucan.canteens.models import Dish
from zhucan.checkout import receipts, services
from zhucan.checkout.errors import INELIGIBLE_REASONS, checkout_error
from zhucan.checkout.models import IdentifiedBy, MealKind, TenderKind
from zhucan.checkout.selectors import last_sale_of_cashier
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.core.http import client_ip
from zhucan.elders.models import Elder
from zhucan.identity import identification

log = logging.getLogger(__name__)

SHORTCUT_KEYS = "123456789abcdefghijklmnopqrstuvwxyz"
TENDERS = [(TenderKind.CASH, "现金"), (TenderKind.CARD, "市民卡"), (TenderKind.WECHAT, "微信"),
           (TenderKind.ALIPAY, "支付宝")]
_SALT = "zhucan.checkout.cashier.customer"
NON_ELDER = "none"


@dataclass
class Customer:
    elder: Elder | None
    identified_by: str  # IdentifiedBy value; "none" for a non-elder customer
    pending: str = ""  # a printed card code's second factor still to do: "pin" | "face" | "photo"
    code_id: str = ""

    @property
    def label(self) -> str:
        if self.elder is None:
            return "非老人顾客"
        return receipts.mask_name(self.elder.name)

    @property
    def by_label(self) -> str:
        return IdentifiedBy(self.identified_by).label if self.identified_by in IdentifiedBy.values else ""

    def token(self) -> str:
        return signing.dumps({"e": self.elder.pk if self.elder else None, "b": self.identified_by,
                              "p": self.pending, "k": self.code_id}, salt=_SALT)

    def presented(self) -> identification.Identified:
        return identification.Identified(self.elder, self.identified_by, pending=self.pending, code_id=self.code_id)

    @classmethod
    def of(cls, presented: identification.Identified) -> Customer:
        return cls(presented.elder, presented.method, presented.pending, presented.code_id)


@dataclass
class PosState:
    lines: list[list[int]] = field(default_factory=list)  # [[dish_id, quantity], ...] in order added
    customer: Customer | None = None
    tender: str = TenderKind.CASH
    idem: str = ""
    expected: int | None = None


def _read_customer(token: str) -> Customer | None:
    if not token:
        return None
    try:
        data = signing.loads(token, salt=_SALT, max_age=6 * 3600)
    except signing.BadSignature:
        return None
    if data.get("e") is None:
        return Customer(None, IdentifiedBy.NONE)
    elder = Elder.objects.select_related("community").filter(pk=data["e"]).first()
    if elder is None:
        return None
    return Customer(elder, data.get("b", IdentifiedBy.CARD), data.get("p", ""), data.get("k", ""))


def _read_state(post) -> PosState:
    state = PosState()
    for raw in post.getlist("line"):
        dish, _, qty = raw.partition(":")
        if dish.isdigit() and qty.isdigit() and int(qty) > 0:
            state.lines.append([int(dish), int(qty)])
    state.customer = _read_customer(post.get("customer", ""))
    tender = post.get("tender", TenderKind.CASH)
    state.tender = tender if tender in dict(TENDERS) else TenderKind.CASH
    state.idem = post.get("idem", "")[:80]
    expected = post.get("expected", "")
    state.expected = int(expected) if expected.lstrip("-").isdigit() else None
    return state


def _digest(state: PosState, canteen_id: int) -> str:
    body = {"canteen": canteen_id, "lines": state.lines, "tender": state.tender, "expected": state.expected,
            "elder": state.customer.elder.pk if state.customer and state.customer.elder else None,
            "by": state.customer.identified_by if state.customer else None}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _order_lines(state: PosState) -> list[services.OrderLine]:
    return [services.OrderLine(dish_id=d, quantity=q) for d, q in state.lines]


def _change_line(state: PosState, dish_id: int, delta: int | None) -> None:
    """delta None removes the line; a quantity falling to 0 removes it too."""
    for line in state.lines:
        if line[0] == dish_id:
            line[1] = 0 if delta is None else line[1] + delta
            break
    else:
        if delta and delta > 0:
            state.lines.append([dish_id, delta])
    state.lines = [ln for ln in state.lines if ln[1] > 0]


# ---------------------------------------------------------------------------------------------
# Printing (after the transaction, never inside it)


def _print(meal, remaining) -> tuple[list[str], str]:
    """Print the receipt; return its text lines and a warning ("" when printed)."""
    data = receipts.receipt_from_meal(meal, remaining=remaining)
    lines = receipts.render_lines(data)
    try:
        receipts.print_receipt(data, receipts.printer_from_url(settings.ZHUCAN_RECEIPT_PRINTER))
    except DomainError as exc:
        return lines, exc.message_zh
    except Exception as exc:  # a printer must never turn a recorded meal into an error page
        log.exception("receipt printing failed for %s", meal.receipt_no)
        return lines, f"小票打印失败（{exc}）。本笔消费已记账，可稍后补打小票"
    return lines, ""


# ---------------------------------------------------------------------------------------------
# The view


def _menu(canteen) -> list[dict]:
    dishes = Dish.objects.filter(canteen=canteen, active=True).order_by("sort_order", "name", "id")
    return [{"dish": d, "key": SHORTCUT_KEYS[i] if i < len(SHORTCUT_KEYS) else "", "price": _yuan(d.price_fen)}
            for i, d in enumerate(dishes)]


def _yuan(fen: int) -> str:
    return receipts.fen_to_yuan(fen)


@requires("meal", "create")
@require_http_methods(["GET", "POST"])
def cashier(request):
    canteen = request.user.canteen if request.user.canteen_id else None
    if canteen is None:
        return render(request, "checkout/no_canteen.html", status=403)
    menu = _menu(canteen)
    state = _read_state(request.POST) if request.method == "POST" else PosState()
    ctx: dict = {"canteen": canteen, "menu": menu, "tenders": TENDERS, "error": "", "notice": "",
                 "warning": "", "receipt": None, "void_candidate": None, "default": "", "quote": None}
    if request.method == "POST":
        _handle(request, canteen, state, ctx, request.POST.get("op", ""))
    _quote(canteen, state, ctx)
    ctx["state"] = state
    ctx["lines"] = _render_lines(state, menu)
    ctx["gross"] = _yuan(sum(m["dish"].price_fen * q for d, q in state.lines for m in menu if m["dish"].pk == d))
    ctx["customer_token"] = state.customer.token() if state.customer else ""
    ctx["can_reverse"] = has_perm(request.user, "meal", "reverse")
    ctx["oob"] = bool(request.headers.get("HX-Request"))  # the receipt goes to its own panel
    template = "checkout/_cashier_state.html" if ctx["oob"] else "checkout/cashier.html"
    return render(request, template, ctx)


def _handle(request, canteen, state: PosState, ctx: dict, op: str) -> None:
    verb, _, arg = op.partition(":")
    dish_id = int(arg) if arg.isdigit() else 0
    try:
        if verb == "add" and dish_id:
            _change_line(state, dish_id, 1)
        elif verb == "inc" and dish_id:
            _change_line(state, dish_id, 1)
        elif verb == "dec" and dish_id:
            _change_line(state, dish_id, -1)
        elif verb == "del" and dish_id:
            _change_line(state, dish_id, None)
        elif verb in ("identify", "scan", "face"):
            state.customer = None  # a failed scan must never leave the previous elder in place
            if verb == "identify":
                presented = identification.identify_typed(value=request.POST.get("ident", ""), canteen=canteen)
            elif verb == "scan":
                presented = identification.identify_code_image(image_bytes=_image(request), canteen=canteen)
            else:
                presented, _match = identification.identify_face(canteen=canteen, image_bytes=_image(request))
            state.customer = Customer.of(presented)
            if presented.pending == "photo":
                _show_photo(request, canteen, state, ctx)
        elif verb == "enrol_face":
            _enrol_face(request, canteen, state, ctx)
        elif verb.startswith("factor_"):
            _factor(request, canteen, state, ctx, verb)
        elif verb == "nonelder":
            state.customer = Customer(None, IdentifiedBy.NONE)
        elif verb == "tender" and arg in dict(TENDERS):
            state.tender = arg
        elif verb == "clear":
            state.lines, state.customer, state.tender = [], None, TenderKind.CASH
        elif verb == "commit":
            _commit(request, canteen, state, ctx)
        elif verb == "void_ask":
            _void_ask(request, canteen, ctx)
        elif verb == "void_yes":
            _void(request, canteen, ctx, request.POST.get("void_receipt", ""))
        # "void_no" and anything unknown: just re-render the state.
    except DomainError as exc:
        ctx["error"] = exc.message_zh
        ctx["error_code"] = exc.code


def _image(request) -> bytes:
    """The camera frame or uploaded photo of a face operation."""
    upload = request.FILES.get("face_image")
    if upload is None or not upload.size:
        raise DomainError(code="FACE_IMAGE_REQUIRED", message_zh="未收到图像：请打开摄像头拍照或选择图片",
                          message_en="no image was sent", field="face_image")
    return upload.read()


def _factor(request, canteen, state: PosState, ctx: dict, verb: str) -> None:
    """The second factor of a printed card code. A wrong PIN or a face that does not match keeps
    the pending customer (the elder may retry or the cashier switches to the card); "not the same
    person" on the photo clears it."""
    customer = state.customer
    if customer is None or not customer.pending:
        raise DomainError(code="INPUT_INVALID", message_zh="当前没有待核验的长者卡码", message_en="nothing to confirm",
                          field="factor")
    presented = customer.presented()
    if verb == "factor_pin":
        done = identification.confirm_pin(presented, pin=request.POST.get("pin", ""), canteen=canteen)
    elif verb == "factor_face":
        done = identification.confirm_face(presented, image_bytes=_image(request), canteen=canteen)
    elif verb == "factor_photo_show":
        _show_photo(request, canteen, state, ctx)
        return
    elif verb in ("factor_photo_yes", "factor_photo_no"):
        if verb == "factor_photo_no":
            state.customer = None
        done = identification.confirm_photo(presented, cashier=request.user, canteen=canteen,
                                            same_person=verb == "factor_photo_yes")
    else:
        return
    state.customer = Customer.of(done)
    ctx["notice"] = "长者卡码二次核验通过"


def _enrol_face(request, canteen, state: PosState, ctx: dict) -> None:
    """录入人脸 at the till: the camera frame of the elder just identified by card, ID card or code,
    for an elder whose separate consent subdistrict staff have recorded (first enrolment only)."""
    from zhucan.face.services import face_enrol_at_terminal

    customer = state.customer
    if customer is None or customer.elder is None or customer.pending or customer.identified_by == "face":
        raise DomainError(code="CUSTOMER_REQUIRED", message_zh="请先刷卡、扫码或读身份证识别老人，再录入人脸",
                          message_en="identify the elder by card or code first", field="ident")
    face_enrol_at_terminal(elder_id=customer.elder.pk, image_bytes=_image(request), cashier=request.user,
                           ip=client_ip(request))
    ctx["notice"] = "人脸已录入（只保存加密的人脸特征），下次可刷脸识别"


def _show_photo(request, canteen, state: PosState, ctx: dict) -> None:
    """The registered photo for the cashier's comparison; without one the card code cannot be
    confirmed here, so the customer is cleared (the elder uses the card or the phone code)."""
    import base64

    try:
        photo = identification.registered_photo(elder=state.customer.elder, cashier=request.user, canteen=canteen)
    except DomainError:
        state.customer = None
        raise
    mime = "image/png" if photo[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
    ctx["photo"] = f"data:{mime};base64," + base64.b64encode(photo).decode()


def _commit(request, canteen, state: PosState, ctx: dict) -> None:
    if not state.lines:
        raise checkout_error("EMPTY_ORDER")
    if state.customer is None:
        raise DomainError(code="CUSTOMER_REQUIRED", message_zh="请先刷卡/扫码识别老人，或选择“非老人顾客”（F2）",
                          message_en="identify the elder or choose a non-elder customer", field="ident")
    if state.customer.pending:
        raise identification.pending_error(state.customer.presented())
    if not state.idem or state.expected is None:
        raise checkout_error("QUOTE_CHANGED")
    payable = state.expected
    try:
        result = services.meal_commit(
            canteen=canteen, elder=state.customer.elder, lines=_order_lines(state), idempotency_key=state.idem,
            request_digest=_digest(state, canteen.pk), identified_by=state.customer.identified_by,
            cashier=request.user, expected_payable_fen=payable,
            tenders=[services.TenderIn(state.tender, payable)] if payable else None,
        )
    except DomainError as exc:
        if exc.code == "QUOTE_CHANGED":
            # Keep the order and customer: the page re-quotes below and the cashier confirms again.
            ctx["error"] = exc.message_zh + "（已重新计价，请核对后再按 Enter 确认）"
            ctx["error_code"] = exc.code
            return
        raise
    meal = result.meal
    if result.replayed:
        ctx["notice"] = f"重复提交：该笔已于 {clock_hm(meal.at)} 记账（{meal.receipt_no}），未重复收款"
        ctx["receipt"] = _receipt_ctx(meal, receipts.render_lines(receipts.receipt_from_meal(meal)))
    else:
        lines, warning = _print(meal, result.remaining)
        ctx["receipt"] = _receipt_ctx(meal, lines)
        ctx["warning"] = warning
        ctx["notice"] = f"已收款 {_yuan(meal.payable_fen)} 元 · 小票号 {meal.receipt_no}"
    state.lines, state.customer, state.tender = [], None, TenderKind.CASH


def _receipt_ctx(meal, lines: list[str]) -> dict:
    return {"meal": meal, "text": "\n".join(lines)}


def clock_hm(moment) -> str:
    return moment.astimezone(clock.LOCAL_TZ).strftime("%H:%M:%S")


def _void_ask(request, canteen, ctx: dict) -> None:
    if not has_perm(request.user, "meal", "reverse"):
        raise DomainError(code="PERMISSION_DENIED", message_zh="您的角色无权撤销消费", message_en="may not void",
                          http_status=403)
    meal = last_sale_of_cashier(cashier=request.user, canteen=canteen, day=clock.local_today())
    if meal is None:
        raise DomainError(code="MEAL_NOT_FOUND", message_zh="今天您在本店还没有可撤销的消费",
                          message_en="no sale of yours today", http_status=404)
    if hasattr(meal, "reversal"):
        raise checkout_error("MEAL_ALREADY_REVERSED")
    ctx["void_candidate"] = meal
    ctx["void_payable"] = _yuan(meal.payable_fen)
    ctx["void_label"] = receipts.mask_name(meal.elder.name) if meal.elder_id else ""


def _void(request, canteen, ctx: dict, receipt_no: str) -> None:
    if not has_perm(request.user, "meal", "reverse"):
        raise DomainError(code="PERMISSION_DENIED", message_zh="您的角色无权撤销消费", message_en="may not void",
                          http_status=403)
    meal = last_sale_of_cashier(cashier=request.user, canteen=canteen, day=clock.local_today())
    if meal is None or meal.receipt_no != receipt_no:
        raise DomainError(code="VOID_TARGET_CHANGED", message_zh="上一笔消费已变化，请重新按“撤销上一笔”",
                          message_en="the last sale changed", http_status=409)
    key = f"void:{meal.receipt_no}"
    result = services.meal_reverse(canteen=canteen, receipt_no=meal.receipt_no, kind=MealKind.VOID,
                                   idempotency_key=key, request_digest=key, cashier=request.user,
                                   reason="收银台撤销上一笔")
    if result.replayed:
        ctx["notice"] = f"该笔已撤销（{result.meal.receipt_no}）"
        ctx["receipt"] = _receipt_ctx(result.meal, receipts.render_lines(receipts.receipt_from_meal(result.meal)))
        return
    lines, warning = _print(result.meal, None)
    ctx["receipt"] = _receipt_ctx(result.meal, lines)
    ctx["warning"] = warning
    ctx["notice"] = f"已撤销 {meal.receipt_no}，应退 {_yuan(meal.payable_fen)} 元"


def _quote(canteen, state: PosState, ctx: dict) -> None:
    """Quote when there is an order and a customer; a fresh idempotency key for every quote shown."""
    state.idem, state.expected = "", None
    if ctx["void_candidate"] is not None:
        ctx["default"] = "void_yes"
        return
    if not state.lines or state.customer is None or state.customer.pending:
        ctx["default"] = "factor" if state.customer and state.customer.pending else ""
        return
    try:
        q = services.meal_quote(canteen=canteen, elder=state.customer.elder, lines=_order_lines(state))
    except DomainError as exc:
        if not ctx["error"]:
            ctx["error"], ctx["error_code"] = exc.message_zh, exc.code
        return
    ineligible = q.quote is not None and q.benefit_fen == 0 and q.quote.reason_code in INELIGIBLE_REASONS
    ctx["quote"] = {
        "gross": _yuan(q.order.gross_fen), "benefit": _yuan(q.benefit_fen), "payable": _yuan(q.payable_fen),
        "payable_fen": q.payable_fen, "explanation": q.explanation_zh, "ineligible": ineligible,
        "period": q.quote.period_name if q.quote else "",
        "remaining": [_remaining_text(r) for r in q.remaining],
    }
    if ineligible:
        ctx["quote"]["hint"] = "该老人不能享受助餐优惠；如需按原价结账，请按 F2 改为非老人顾客"
        return
    state.idem, state.expected = uuid.uuid4().hex, q.payable_fen
    ctx["default"] = "commit"


def _remaining_text(entry: dict) -> str:
    parts = []
    if "remaining_fen" in entry:
        parts.append(f"{_yuan(entry['remaining_fen'])} 元")
    if "remaining_meals" in entry:
        parts.append(f"{entry['remaining_meals']} 餐")
    return f"{entry.get('name_zh', '')} 剩余 {'，'.join(parts)}"


def _render_lines(state: PosState, menu: list[dict]) -> list[dict]:
    by_id = {m["dish"].pk: m["dish"] for m in menu}
    out = []
    for dish_id, qty in state.lines:
        dish = by_id.get(dish_id)
        out.append({"dish_id": dish_id, "qty": qty, "name": dish.name if dish else f"已停售菜品#{dish_id}",
                    "unit": _yuan(dish.price_fen) if dish else "—",
                    "total": _yuan(dish.price_fen * qty) if dish else "—"})
    return out
