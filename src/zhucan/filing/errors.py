"""Stable error codes of designation and filing (the API's `code`; the console shows the Chinese)."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    # --- the lifecycle (selection, agreement, rounds, review, designation) ---
    "FILING_WRONG_STAGE": (409, "该助餐点目前为“{stage}”，不能{action}", "the canteen is {stage}: cannot {action}"),
    "FILING_ALREADY_SELECTED": (409, "该助餐点已遴选", "the canteen is already selected"),
    "AGREEMENT_DATES": (400, "协议终止日期须晚于起始日期", "the agreement must end after it starts"),
    "AGREEMENT_DUPLICATE": (409, "该助餐点已有编号为“{number}”的协议", "agreement {number} exists for this canteen"),
    "FILING_NOT_OPEN": (409, "当前没有可填报的备案", "no filing round is open"),
    "FILING_INCOMPLETE": (400, "以下备案要求尚未填写完整：{items}", "incomplete requirements: {items}"),
    "FILING_REVIEW_REASON_REQUIRED": (400, "退回须写明原因", "a return needs a reason"),
    "FILING_REVIEW_INCOMPLETE": (400, "还有备案要求未审核：{items}", "requirements not yet reviewed: {items}"),
    "STAGE_REASON_REQUIRED": (400, "请写明原因", "a reason is required"),
    "STAGE_DATE_INVALID": (400, "日期不能早于{earliest}", "the date cannot be before {earliest}"),
    "SPAN_ALREADY_OPEN": (409, "该助餐点已有自{start}起未结束的定点期，请先核对定点记录",
                          "the canteen already has a designated span open since {start}"),
    # --- declarations, evidence and automatic checks ---
    "CREDIT_CODE_FORMAT": (400, "统一社会信用代码应为18位数字或大写字母", "a credit code has 18 digits or capitals"),
    "CREDIT_CODE_INVALID": (400, "统一社会信用代码校验位不正确，请核对", "the credit code's check character is wrong"),
    "LICENCE_EXPIRED": (400, "食品经营许可证已于{date}到期，不能定点", "the food licence expired on {date}"),
    "EVIDENCE_MISSING": (400, "“{requirement}”缺少必需的证明材料", "{requirement}: required evidence is missing"),
    "EVIDENCE_TYPE": (400, "“{name}”不是图片（JPEG、PNG）或PDF文件", "{name} is not a JPEG, PNG or PDF file"),
    "EVIDENCE_TOO_LARGE": (413, "“{name}”超过{limit}MB，请压缩后上传", "{name} is larger than {limit} MB"),
    "EVIDENCE_EMPTY": (400, "“{name}”是空文件", "{name} is empty"),
    "EVIDENCE_TOO_MANY": (400, "一次最多上传{limit}个文件", "at most {limit} files at once"),
    "DECLARATION_MISSING": (400, "请填写“{label}”", "{label} is required"),
    "DECLARATION_INVALID": (400, "“{label}”{problem}", "{label}: {problem_en}"),
    "REQUIREMENT_NOT_APPLICABLE": (400, "本助餐点不对社会开放，无需填报“{requirement}”",
                                   "{requirement} does not apply to a canteen closed to the public"),
    # --- terminals' capability reports and tests through API v1 ---
    # --- the public directory and the sign ---
}


def filing_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)
