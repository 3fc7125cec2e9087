"""Request and answer shapes of API v1. Requests take integer fen; answers give `*_fen` integers and
`*_yuan` strings ("12.50"). Unknown request fields are refused (a typo in a money field must not
pass silently)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr
from pydantic_core import PydanticCustomError

from zhucan.core import text


class Schema(BaseModel):
    """Plain pydantic models, not ninja.Schema: every shape here is built from dicts, and Ninja's
    ORM-attribute resolution wraps each nested model in a validator costing ~7× more per answer on
    the checkout hot path (88 µs against 12 µs for a quote answer)."""

def _whole_number(value):
    # JSON has one number type: 141.0 is the integer 141 (and JSON Schema's "integer" says so), so
    # it is taken as 141; 141.5, "141" and true stay refused.
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


def _storable(value: str) -> str:
    if not text.is_storable(value):
        raise PydanticCustomError(text.CODE.lower(), text.MESSAGE_EN)
    return value


# Bounds go before the validators so that they stay in the JSON schema as minimum/maximum.
_WHOLE = BeforeValidator(_whole_number)
Int = Annotated[StrictInt, _WHOLE]
MAX_ID = 2**63 - 1  # the database's bigint
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID), _WHOLE]
Fen = Annotated[StrictInt, Field(ge=0, le=10_000_000, description="金额（分）"), _WHOLE]
# Every string a request carries: text the database cannot store is refused (TEXT_NOT_STORABLE)
# before any work starts.
_STORABLE = AfterValidator(_storable)
Text = Annotated[StrictStr, _STORABLE]
Pin = Annotated[StrictStr, Field(min_length=4, max_length=6, pattern=r"^\d{4,6}$"), _STORABLE]
CanteenId = Annotated[Id | None, Field(None, description="可省略；若给出须为本终端所属助餐点的编号")]
# Refused by the checkout with its own code (EMPTY_ORDER, BAD_QUANTITY, AMOUNT_INVALID), declared here too.
QUANTITY = {"minimum": 1, "maximum": 99}


class In(Schema):
    model_config = ConfigDict(extra="forbid")


def _given(name: str, schema: dict) -> dict:
    return {"required": [name], "properties": {name: schema}}


_NON_EMPTY = {"type": "string", "minLength": 1}
# Exactly one way of identifying (null or "" count as absent); a face ticket next to a printed card
# code is that code's second factor, and a PIN goes only with a card code.
ONE_WAY = {
    "oneOf": [
        _given("card_number", _NON_EMPTY),
        _given("id_number", _NON_EMPTY),
        _given("elder_id", {"type": "integer"}),
        _given("qr_token", _NON_EMPTY),
        {**_given("face_ticket", _NON_EMPTY), "not": _given("qr_token", _NON_EMPTY)},
    ],
    "dependentSchemas": {"pin": {"anyOf": [_given("pin", {"type": "null"}), _given("qr_token", _NON_EMPTY)]}},
}


class ElderRef(In):
    """Exactly one of card_number, id_number, elder_id, qr_token, face_ticket; a printed card code
    (qr_token) also takes its second factor: pin or face_ticket."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=ONE_WAY)

    card_number: Text | None = Field(None, max_length=32, description="市民卡/社保卡卡号")
    qr_token: Text | None = Field(None, max_length=200, description="长者码（扫码所得文本，ZC1. 开头）；"
                                  "结算时核销，一码一用")
    id_number: Text | None = Field(None, max_length=24, description="18位身份证号")
    elder_id: Id | None = Field(None, description="老人档案号（识别接口返回的 elder_id）")
    identified_by: Literal["card", "id_number", "elder_id", "qr", "face"] | None = Field(
        None, description="可省略（默认 elder_id）；仅与 elder_id 同用时有意义：终端此前以何种方式识别了"
                          "老人（记入台账）")
    face_ticket: Text | None = Field(None, max_length=400, description="人脸核验凭证（/faces/identify 或 "
                                     "/faces/verify 返回，本助餐点120秒内有效）；单独使用即以人脸识别，"
                                     "与打印版长者卡码同用即作其二次核验")
    pin: Pin | None = Field(
        None, description="老人密码（4–6位数字）：仅作打印版长者卡码的二次核验")


class PresentedRef(ElderRef):
    """What is presented with a photo: exactly one of card_number, id_number, elder_id, qr_token
    (a face ticket or PIN makes no sense next to a photo)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"oneOf": ONE_WAY["oneOf"][:4]})

    face_ticket: None = Field(None, description="不适用（照片本身即人脸核验）")
    pin: None = Field(None, description="不适用")


class IdentifyIn(ElderRef):
    canteen_id: CanteenId


class ItemIn(In):
    dish_id: Int = Field(..., description="菜单中的菜品编号")
    quantity: Int = Field(..., description="1–99", json_schema_extra=QUANTITY)


class TenderIn(In):
    kind: Literal["cash", "card", "wechat", "alipay", "other"]
    amount_fen: Fen
    reference: Text = Field("", max_length=64)


class QuoteIn(In):
    canteen_id: CanteenId
    elder: ElderRef | None = Field(None, description="省略即非老人顾客（原价）")
    items: list[ItemIn] = Field(..., max_length=100, json_schema_extra={"minItems": 1})


class CommitIn(QuoteIn):
    tenders: list[TenderIn] | None = Field(None, max_length=10, description="省略即现金付清应付金额")
    expected_payable_fen: Fen | None = Field(None, description="询价时的应付金额；若优惠已变化则拒绝")


class ReverseIn(In):
    canteen_id: CanteenId
    receipt_no: Text = Field(..., min_length=1, max_length=32)
    reason: Text = Field("", max_length=100)


class ReportItemIn(In):
    name: Text = Field(..., min_length=1, max_length=60, json_schema_extra={"pattern": r"\S"})
    quantity: Int = Field(..., description="1–99", json_schema_extra=QUANTITY)
    unit_price_fen: Fen


class ReportIn(In):
    canteen_id: CanteenId
    elder: ElderRef | None = None
    items: list[ReportItemIn] = Field(..., max_length=100, json_schema_extra={"minItems": 1})
    benefit_fen: Fen = Field(..., description="终端自行计算的优惠金额（分）")
    tenders: list[TenderIn] | None = Field(None, max_length=10)
    occurred_at: AwareDatetime | None = Field(None, description="用餐时刻（带时区）；省略即现在")


# ------------------------------------------------------------------------------------------ answers


class ErrorOut(Schema):
    code: str
    message: str
    message_en: str
    field: str | None = None
    details: dict | None = None


class EligibilityOut(Schema):
    status: Literal["eligible", "limit_reached", "not_eligible", "unknown"]
    reason_code: str | None = None
    message: str
    message_en: str


class RemainingOut(Schema):
    layer: str
    name_zh: str
    cap_fen: int | None = None
    cap_yuan: str | None = None
    remaining_fen: int | None = None
    remaining_yuan: str | None = None
    remaining_meals: int | None = None


class ElderOut(Schema):
    elder_id: int
    name: str = Field(..., description="脱敏姓名，如 张*英")
    age: int
    id_number_masked: str
    identified_by: str
    eligibility: EligibilityOut
    remaining: list[RemainingOut]


class FaceIdentifyIn(In):
    image_b64: Text = Field(..., min_length=16, max_length=6_000_000,
                            description="摄像头画面或照片（JPEG/PNG）的 base64 编码")
    canteen_id: CanteenId


class FaceVerifyIn(FaceIdentifyIn):
    elder: PresentedRef = Field(..., description="先出示的市民卡、身份证号、档案号或长者码（含打印版卡码）")


class FaceEnrolOut(Schema):
    elder_id: int
    name: str = Field(..., description="脱敏姓名")
    enrolled_at: datetime
    in_identify_index: bool = Field(..., description="老人同意 1:N 刷脸识别时为 true（已加入本区县的识别索引）")


class FaceOut(Schema):
    elder_id: int
    name: str = Field(..., description="脱敏姓名")
    age: int
    id_number_masked: str
    identified_by: str = Field(..., description="face（1:N 刷脸）或 1:1 核验前出示的方式")
    face_ticket: str = Field(..., description="人脸核验凭证：随后的询价、结算在 elder.face_ticket 中出示")
    ticket_expires_in_s: int
    distance: float = Field(..., description="与登记人脸特征的距离（越小越相似）")
    threshold: float


class UsageOut(Schema):
    elder_id: int
    date: str
    meals: int
    benefit_used_fen: int
    benefit_used_yuan: str
    periods_used: dict[str, int]
    remaining: list[RemainingOut]


class DishOut(Schema):
    dish_id: int
    name: str
    category: str
    price_fen: int
    price_yuan: str


class PeriodOut(Schema):
    name: str
    name_zh: str
    start: str
    end: str


class MenuOut(Schema):
    canteen_id: int
    canteen_name: str
    status: str
    dishes: list[DishOut]
    periods: list[PeriodOut]


class ItemOut(Schema):
    dish_id: int | None
    name: str
    quantity: int
    unit_price_fen: int
    unit_price_yuan: str
    line_fen: int
    line_yuan: str


class BenefitLineOut(Schema):
    funder: str
    rule_id: str
    layer_id: str
    amount_fen: int
    amount_yuan: str


class TenderOut(Schema):
    kind: str
    amount_fen: int
    amount_yuan: str
    reference: str


class QuoteOut(Schema):
    elder_id: int | None
    items: list[ItemOut]
    gross_fen: int
    gross_yuan: str
    benefit_fen: int
    benefit_yuan: str
    payable_fen: int
    payable_yuan: str
    benefit_lines: list[BenefitLineOut]
    period: str | None
    reason_code: str | None
    explanation_zh: str
    explanation_en: str
    remaining: list[RemainingOut] = Field(..., description="本餐之后今日剩余优惠")


class MealOut(Schema):
    receipt_no: str
    meal_id: int
    kind: str
    mode: str
    reverses: str | None
    at: datetime
    local_date: str
    period: str
    elder_id: int | None
    identified_by: str
    items: list[ItemOut]
    gross_fen: int
    gross_yuan: str
    benefit_fen: int
    benefit_yuan: str
    payable_fen: int
    payable_yuan: str
    benefit_lines: list[BenefitLineOut]
    tenders: list[TenderOut]
    policy_version: str
    reason_code: str | None = Field(None, description="无优惠时的原因代码（如 CANTEEN_NOT_DESIGNATED）")
    explanation_zh: str
    explanation_en: str
    remaining: list[RemainingOut] = Field(..., description="今日剩余优惠")
    replayed: bool = Field(..., description="true：同一 Idempotency-Key 的重试，返回原结果")
    accepted: bool | None = Field(None, description="上报模式：平台复核一致为 true，不一致为 false（已提交区县审核）")
    mismatch_id: int | None = None
