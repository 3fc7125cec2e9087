"""Stable error codes of settlement (clients and tests switch on `code`)."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    "MONTH_NOT_ENDED": (422, "{month} 尚未结束，不能生成结算单", "{month} has not ended yet"),
    "MONTH_INVALID": (400, "结算月份格式应为 YYYY-MM", "the month must be YYYY-MM"),
    "MONTH_ALREADY_SETTLED": (409, "{month} 已有结算单进入确认或审核流程（{canteen}：{status}），不能重新生成",
                              "{month} already has statements beyond draft ({canteen}: {status})"),
    "STATEMENT_BAD_TRANSITION": (409, "结算单当前状态为“{status}”，不能{action}",
                                 "the statement is {status_en}; cannot {action_en}"),
    "STATEMENT_DISPUTED": (409, "助餐点对结算单有异议，请先处理异议再审核",
                           "the canteen disputes the statement: resolve the dispute first"),
    "OPEN_MISMATCHES": (409, "该助餐点本月还有 {count} 笔终端上报差异待审核，不能终审",
                        "{count} report mismatches of this canteen-month are still open"),
    "STATEMENT_LEDGER_MISMATCH": (409, "结算单与台账不一致（{fields}），请重新生成后再终审",
                                  "the statement differs from the ledger ({fields})"),
    "NOTE_REQUIRED": (400, "请填写说明", "a note is required"),
    "REFERENCE_REQUIRED": (400, "请填写拨付凭证号", "a payment reference is required"),
    "MISMATCH_ALREADY_RESOLVED": (409, "该差异已处理", "the mismatch was already resolved"),
    "MONTH_LOCKED": (409, "{month} 已终审，不能修改", "{month} is finalised"),
    "ADJUSTMENT_REASON_REQUIRED": (400, "请写明调整原因", "an adjustment needs a reason"),
    "ADJUSTMENT_EMPTY": (400, "调整金额不能为零", "an adjustment cannot be zero"),
    "ADJUSTMENT_DUPLICATE": (409, "该事项已记过结算调整", "an adjustment from this source exists"),
    "ADJUSTMENT_FUNDER": (400, "未知的出资方：{funder}", "unknown funder: {funder}"),
    "GENERATION_CONFLICT": (409, "其他人正在生成同月结算单，请稍后重试",
                            "another generation of this month is running; retry"),
}

STATUS_EN = {"draft": "draft", "confirmed": "confirmed", "disputed": "disputed", "approved": "approved",
             "finalised": "finalised", "paid": "paid"}


def settlement_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)
