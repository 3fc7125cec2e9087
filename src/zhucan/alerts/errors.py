"""Stable error codes of the alerts (the API's `code`; the console shows the Chinese)."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    "ALERT_RULE_UNKNOWN": (400, "没有这条预警规则", "unknown alert rule {rule}"),
    "ALERT_DEDUPE_KEY": (400, "预警缺少去重标识", "an alert needs a dedupe key"),
    "ALERT_SNAPSHOT": (400, "抓拍图片须为JPEG或PNG，且不超过{limit}MB",
                       "the snapshot must be a JPEG or PNG under {limit} MB"),
    "ALERT_WRONG_STATUS": (409, "该预警目前为“{status}”，不能{action}", "the alert is {status_en}: cannot {action_en}"),
    "ALERT_ASSIGNEE": (400, "请选择本辖区的区县民政管理员作为处理人",
                       "the assignee must be a district official of the area"),
    "ALERT_REASON_REQUIRED": (400, "请写明处理意见", "a reason is required"),
    "ALERT_RECOVERY_TOO_LARGE": (400, "追回金额{amount}元超过涉及餐次的补贴{benefit}元",
                                 "the recovery {amount} exceeds the benefit {benefit}"),
    "ALERT_RECOVERY_NOTHING": (400, "该预警没有涉及补贴的餐次，无法追回；如需追回请先核实餐次",
                               "the alert involves no benefit to recover"),
    "ALERT_RECOVERY_INVALID": (400, "追回金额{problem}", "recovery amount: {problem_en}"),
    "ALERT_PARAM_INVALID": (400, "“{label}”应为不小于{minimum}的整数",
                            "{key} must be an integer of at least {minimum}"),
    "ALERT_DATE_FUTURE": (400, "不能检测今天及以后的日期", "cannot detect today or a later date"),
}


def alert_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)
