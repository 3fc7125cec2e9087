"""Stable error codes of construction subsidies (LC-3), evaluations (LC-6) and operating rewards (LC-5)."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    "FUNDS_NO_SCHEME": (422, "本市政策未规定{what}", "the city's policy has no {what_en}"),
    "FUNDS_POLICY_NOT_IN_FORCE": (422, "{day} 时本市政策尚未生效", "no policy version in force on {day}"),
    "FUNDS_UNKNOWN_FUNDER": (422, "政策中的出资方“{funder}”无法登记", "unsupported funder {funder}"),
    "FUNDS_CANTEEN_CLOSED": (422, "该助餐点已关闭，不能申请建设补贴", "the canteen is closed"),
    "FUNDS_SUBSIDY_EXISTS": (409, "该助餐点已申请过建设补贴（每处一次性补贴，仅被否决后可重新申请）",
                             "the canteen already has a construction subsidy application"),
    "FUNDS_BAD_STATUS": (409, "当前状态为“{status}”，不能{action}", "cannot {action_en} in status {status_en}"),
    "FUNDS_REASON_REQUIRED": (400, "退回或否决时须填写理由", "a reason is required to return or reject"),
    "FUNDS_REFERENCE_REQUIRED": (400, "请填写支付凭证号", "a payment reference is required"),
    "FUNDS_EVIDENCE_REQUIRED": (400, "请填写申请说明或上传佐证材料", "describe or attach the evidence"),
    "FUNDS_EVIDENCE_HAS_ID_NUMBER": (400, "佐证材料说明中不得包含身份证号码（个人信息保护）",
                                     "evidence text must not contain an ID number (PIPL)"),
    "FUNDS_FILE_TOO_LARGE": (400, "文件“{name}”超过 {limit_mb} MB", "file {name} exceeds {limit_mb} MB"),
    "FUNDS_FILE_TYPE": (400, "文件“{name}”格式不支持，请上传 PDF、JPG 或 PNG", "file {name}: PDF, JPG or PNG only"),
    "FUNDS_BAD_YEAR": (400, "年度须在 2000 至 {max_year} 之间", "year must be 2000..{max_year}"),
    "FUNDS_BAD_SCORE": (400, "评估得分须在 0 至 100 之间", "score must be 0..100"),
    "FUNDS_BAD_GRADE": (400, "评估等次无效", "unknown grade"),
    "FUNDS_EVALUATION_LOCKED": (409, "该年度运营奖补已审批，评估结果不能再修改",
                                "the year's reward is approved; the evaluation is locked"),
    "FUNDS_REWARD_NOT_ELIGIBLE": (422, "该助餐点本年度不符合运营奖补条件：{reasons}",
                                  "the canteen is not eligible: {reasons}"),
    "FUNDS_BAD_TARGET": (400, "建设目标须设在区/县，目标数至少为 1", "a target sits on a district, count ≥ 1"),
}


def funds_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)
