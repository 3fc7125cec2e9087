"""Stable error codes of ratings and complaints (the phone and console pages show the Chinese)."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    # --- ratings ---
    "RATING_MEAL_NOT_FOUND": (404, "没有找到这次就餐记录", "no such meal of this elder"),
    "RATING_ALREADY_RATED": (409, "这顿饭已经评价过了（{date}）", "this meal was already rated on {date}"),
    "RATING_MEAL_REVERSED": (409, "这笔就餐已{how}，不能评价", "the meal was {how_en}: it cannot be rated"),
    "RATING_TOO_OLD": (409, "只能评价{days}天内的就餐，这顿饭是{date}吃的",
                       "meals older than {days} days cannot be rated"),
    "RATING_SCORE_MISSING": (400, "请为“{label}”选择1到5颗星", "{label}: choose 1 to 5"),
    "RATING_SCORE_RANGE": (400, "“{label}”只能选1到5颗星", "{label}: a score is 1 to 5"),
    "RATING_PHRASE_UNKNOWN": (400, "请从列出的评语中选择", "choose phrases from the list"),
    "RATING_COMMENT_TOO_LONG": (400, "留言最多{limit}个字", "a comment has at most {limit} characters"),
    # --- complaints ---
    "COMPLAINT_TEXT_MISSING": (400, "请写下投诉或建议的内容", "the complaint needs a text"),
    "COMPLAINT_TEXT_TOO_LONG": (400, "内容最多{limit}个字", "at most {limit} characters"),
    "COMPLAINT_KIND": (400, "请选择“投诉”或“建议”", "choose complaint or suggestion"),
    "COMPLAINT_PHONE_MISSING": (400, "请留下联系电话，以便答复您", "a contact number is required"),
    "COMPLAINT_PHONE_INVALID": (400, "联系电话格式不正确，请填写手机号或带区号的固定电话",
                                "the contact number is not a phone number"),
    "COMPLAINT_CANTEEN": (400, "请选择助餐点", "choose a canteen"),
    "COMPLAINT_WRONG_STATUS": (409, "该件目前为“{status}”，不能{action}", "the case is {status}: cannot {action}"),
    "COMPLAINT_ANSWER_MISSING": (400, "请填写答复内容", "the answer needs a text"),
    "COMPLAINT_SATISFACTION": (400, "请选择投诉人对答复的满意程度", "choose the complainant's satisfaction"),
    "COMPLAINT_NOT_FOUND": (404, "受理编号或联系电话不正确", "no case with this code and phone"),
    # --- the "most satisfying canteen" campaign ---
    "CAMPAIGN_WEIGHTS": (400, "三项权重之和须为100，现为{total}", "the weights must sum to 100, not {total}"),
    "CAMPAIGN_DATES": (400, "{what}", "{what_en}"),
    "CAMPAIGN_TITLE": (400, "请填写评选名称", "a title is required"),
    "CAMPAIGN_PUBLISHED": (409, "评选结果已公布，不能再{action}", "the result is published: cannot {action_en}"),
    "CAMPAIGN_ALREADY_NOMINATED": (409, "“{name}”已被推荐", "{name} is already nominated"),
    "CAMPAIGN_NOMINATION_CLOSED": (409, "已有老人投票或投票已截止，不能再推荐",
                                   "voting has begun: nominations are closed"),
    "CAMPAIGN_CANTEEN_OUTSIDE": (400, "只能推荐本市的助餐点", "only a canteen of the campaign's city"),
    "VOTE_NOT_OPEN": (409, "投票时间为{start}至{end}", "voting is open from {start} to {end}"),
    "VOTE_ALREADY": (409, "{name}已经投过票了（{date}），每位老人只能投一票", "this elder has already voted"),
    "VOTE_NOMINEE": (400, "请选择一家候选助餐点", "choose a nominee"),
    "VOTE_ELDER_OUTSIDE": (400, "只有本市登记的老人可以投票", "only elders of the campaign's city may vote"),
    "CAMPAIGN_NOT_ENDED": (409, "投票{end}截止后才能公布结果", "publish after voting ends at {end}"),
}


def evaluation_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)
