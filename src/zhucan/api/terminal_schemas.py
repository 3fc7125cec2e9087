"""Request and answer shapes of the terminals' filing reports (capabilities and tests, HZ-F4, HZ-F5)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field, StrictBool

from zhucan.api.schemas import CanteenId, ElderRef, In, ItemIn, Schema, Text


class CapabilitiesIn(In):
    canteen_id: CanteenId
    citizen_card_reader: StrictBool = Field(..., description="可读市民卡（社保卡）")
    id_card_reader: StrictBool = Field(..., description="可读二代身份证")
    face: StrictBool = Field(..., description="可刷脸识别")
    card_payment: StrictBool = Field(..., description="可刷卡支付")
    qr_payment: StrictBool = Field(..., description="可扫码支付")
    receipt_printer: StrictBool = Field(..., description="可打印小票")
    software: Text = Field("", max_length=80, description="终端软件名称及版本")


class CapabilitiesOut(Schema):
    terminal: str
    citizen_card_reader: bool
    id_card_reader: bool
    face: bool
    card_payment: bool
    qr_payment: bool
    receipt_printer: bool
    software: str
    reported_at: datetime


class ReceiptTestIn(In):
    canteen_id: CanteenId
    receipt_no: Text = Field(..., min_length=1, max_length=32, description="测试小票编号")
    text: Text = Field(..., min_length=1, max_length=2000, description="小票打印的文字内容")
    printed: StrictBool = Field(..., description="打印机是否成功打印")
    occurred_at: AwareDatetime | None = Field(None, description="打印时刻（带时区）；省略即现在")


class IdentifyTestIn(ElderRef):
    canteen_id: CanteenId


class MealTestIn(In):
    canteen_id: CanteenId
    elder: ElderRef = Field(..., description="测试就餐的老人（识别方式同询价）")
    items: list[ItemIn] = Field(..., max_length=100, json_schema_extra={"minItems": 1})
    occurred_at: AwareDatetime | None = Field(None, description="终端上的用餐时刻（带时区）；省略即现在。"
                                              "与平台收到的时刻之差用于核验数据是否实时上传")


class TerminalTestOut(Schema):
    test_id: int
    kind: str = Field(..., description="receipt | identification | meal")
    passed: bool
    replayed: bool
    received_at: datetime
    occurred_at: datetime | None = None


class IdentifyTestOut(TerminalTestOut):
    elder_id: int
    name: str = Field(..., description="脱敏姓名")
    identified_by: str


class MealTestItemOut(Schema):
    dish_id: int | None = None
    name: str
    quantity: int
    unit_price_fen: int
    unit_price_yuan: str


class MealTestOut(TerminalTestOut):
    elder_id: int
    name: str = Field(..., description="脱敏姓名")
    items: list[MealTestItemOut]
    gross_fen: int
    gross_yuan: str
    benefit_fen: int
    benefit_yuan: str
    payable_fen: int
    payable_yuan: str
    explanation_zh: str
    delay_seconds: float = Field(..., description="平台收到时刻与用餐时刻之差（秒）")
