"""Stable error codes of the yearly assessment (the console shows the Chinese)."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    "ASSESS_WEIGHTS_SUM": (400, "各评估项目的权重合计须为 100 分，现为 {total} 分",
                           "the items' weights must add up to 100, not {total}"),
    "ASSESS_BAD_ITEM": (400, "评估项目“{title}”的权重和满分须大于 0，评分标准不能为空",
                        "item {title}: weight and maximum must be positive, with guidance"),
    "ASSESS_BAD_THRESHOLDS": (400, "等次分数线须满足 0 ≤ 合格 ≤ 良好 ≤ 优秀 ≤ 100",
                              "thresholds must satisfy 0 ≤ pass ≤ good ≤ excellent ≤ 100"),
    "ASSESS_BAD_YEAR": (400, "年度须在 2000 至 {max_year} 之间", "year must be 2000..{max_year}"),
    "ASSESS_TABLE_EXISTS": (409, "{region}已有 {year} 年度的评估指标体系", "{region} already has a {year} table"),
    "ASSESS_TABLE_IN_USE": (409, "已有助餐点按此指标体系开始评估，指标和权重不能再修改",
                            "assessments have started against this table; it can no longer change"),
    "ASSESS_NOT_DISTRICT": (400, "评估指标体系由区县制定，请选择区县", "a table belongs to a district"),
    "ASSESS_EXISTS": (409, "{canteen}已有 {year} 年度评估", "{canteen} already has a {year} assessment"),
    "ASSESS_CANTEEN_OUTSIDE": (400, "{canteen}不在{region}辖区内", "{canteen} is outside {region}"),
    "ASSESS_SCORE_RANGE": (400, "“{title}”的得分须在 0 至 {max} 分之间", "{title}: the score must be 0..{max}"),
    "ASSESS_SCORE_REQUIRED": (400, "请填写“{title}”的得分", "{title}: a score is required"),
    "ASSESS_SCORE_BASIS": (400, "请上传佐证材料或填写评分说明", "attach evidence or write a note"),
    "ASSESS_AUTOMATIC": (409, "“{title}”由平台数据自动计算，不能手工改分",
                         "{title} is computed from the platform's data"),
    "ASSESS_WRONG_STATUS": (409, "该评估目前为“{status}”，不能{action}", "the assessment is {status}: cannot {action}"),
    "ASSESS_INCOMPLETE": (400, "以下项目尚未评分：{items}", "items not yet scored: {items}"),
    "ASSESS_CONTEST_ONCE": (409, "每次评估只能提出一次异议，本评估已于{at}提出过",
                            "a contest was already filed on {at}"),
    "ASSESS_CONTEST_LATE": (409, "异议期已于{until}截止，不能再提出异议", "the contest period ended on {until}"),
    "ASSESS_CONTEST_NOT_OPEN": (409, "评估结果确认后才能提出异议", "contests open once the result is confirmed"),
    "ASSESS_REASON_REQUIRED": (400, "请写明理由", "a reason is required"),
    "ASSESS_CONTEST_PENDING": (409, "{canteen}的异议尚未处理，处理后才能公布",
                               "{canteen} has a pending contest"),
    "ASSESS_CONTEST_DONE": (409, "该异议已处理", "the contest is already resolved"),
}


def assess_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)
