"""Stable error codes of the elder registry."""

from __future__ import annotations

from zhucan.core.errors import DomainError


def duplicate_id_number() -> DomainError:
    return DomainError(
        code="ELDER_DUPLICATE_ID_NUMBER",
        message_zh="该身份证号码已登记，请勿重复建档",
        message_en="an elder with this ID number is already registered",
        field="id_number",
        http_status=409,
    )


def duplicate_card() -> DomainError:
    return DomainError(
        code="ELDER_DUPLICATE_CARD",
        message_zh="该市民卡号已绑定其他老人",
        message_en="this citizen card number belongs to another elder",
        field="citizen_card_number",
        http_status=409,
    )


def bad_status() -> DomainError:
    return DomainError(
        code="ELDER_BAD_STATUS",
        message_zh="状态只能是正常、已故或已迁出（退出项目请使用“退出项目并删除个人信息”）",
        message_en="status must be active, deceased or moved away (withdrawal goes through erasure)",
        field="status",
    )


def erased() -> DomainError:
    return DomainError(
        code="ELDER_ERASED",
        message_zh="该老人已退出项目，个人信息已删除，档案不能再修改",
        message_en="the elder has withdrawn and their personal data was erased; the record is closed",
        http_status=409,
    )


def erasure_needs_reason() -> DomainError:
    return DomainError(
        code="ELDER_ERASURE_REASON_REQUIRED",
        message_zh="请填写退出原因（如本人申请退出）",
        message_en="give the reason for the withdrawal",
        field="reason",
    )


def erasure_not_confirmed() -> DomainError:
    return DomainError(
        code="ELDER_ERASURE_NOT_CONFIRMED",
        message_zh="请输入老人姓名以确认删除",
        message_en="type the elder's name to confirm",
        field="confirm_name",
    )


def card_change_needs_replacement() -> DomainError:
    return DomainError(
        code="ELDER_CARD_CHANGE_NEEDS_REPLACEMENT",
        message_zh="该老人已绑定市民卡；更换卡号请在“市民卡”一栏办理挂失或补卡",
        message_en="the elder already has a card; report it lost or replace it in the card panel",
        field="citizen_card_number",
        http_status=409,
    )


def bad_community() -> DomainError:
    return DomainError(
        code="ELDER_BAD_COMMUNITY",
        message_zh="请选择您辖区内的社区/村",
        message_en="choose a community within your jurisdiction",
        field="community",
    )


def rejection_needs_reason() -> DomainError:
    return DomainError(
        code="ELDER_REJECTION_NEEDS_REASON",
        message_zh="核查不通过时必须填写原因",
        message_en="a rejection needs a reason",
        field="reason",
    )


def status_needs_date() -> DomainError:
    return DomainError(
        code="ELDER_STATUS_NEEDS_DATE",
        message_zh="已故或迁出的老人需填写变更日期",
        message_en="a deceased or moved-away elder needs the date of the change",
        field="status_since",
    )
