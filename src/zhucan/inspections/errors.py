"""Stable error codes of the random inspections (the console shows the Chinese)."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    "INSPECT_NOT_DISTRICT": (400, "检查计划和人员名录由区县管理，请选择区县", "plans and rosters belong to a district"),
    "INSPECT_NOT_STAFF": (400, "{name}不是本辖区的工作人员，不能列入检查人员名录",
                          "{name} is not staff of this jurisdiction"),
    "INSPECT_BAD_PLAN": (400, "抽取比例须在 1% 至 100% 之间，每组检查人员至少 1 人，并至少选择一个检查类别",
                         "proportion 1..100, at least one inspector and one category"),
    "INSPECT_WRONG_STATUS": (409, "当前状态为“{status}”，不能{action}", "status {status}: cannot {action}"),
    "INSPECT_NO_CANTEENS": (409, "辖区内没有可抽取的运营中助餐点", "no operating canteen to draw"),
    "INSPECT_FEW_INSPECTORS": (409, "在册检查人员 {have} 人，少于每组所需的 {need} 人",
                               "{have} inspectors on the roster, {need} needed"),
    "INSPECT_NO_ITEMS": (409, "尚未设置检查事项清单", "no check items for these categories"),
    "INSPECT_NOT_DRAWN": (403, "您不是本次抽中的检查人员，不能录入检查结果",
                          "only an inspector drawn for this inspection may record it"),
    "INSPECT_RESULTS_MISSING": (400, "以下检查事项尚未填写结果：{items}", "items without a result: {items}"),
    "INSPECT_DEADLINE_REQUIRED": (400, "有不合格事项时须设定整改期限（不早于检查日期）",
                                  "a failed item needs a rectification deadline"),
    "INSPECT_DATE_FUTURE": (400, "检查日期不能晚于今天", "the visit cannot be in the future"),
    "INSPECT_NOT_SERIOUS": (409, "本次检查没有重要事项不合格，不能据此暂停定点",
                            "no serious failure: the designation cannot be suspended on this inspection"),
    "INSPECT_REASON_REQUIRED": (400, "请写明情况", "a note is required"),
}


def inspect_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)
