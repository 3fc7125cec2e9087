"""Stable error codes of identification (card, ID number, elder code, face ticket, second factor)
and of the identity records (cards, PINs). Every channel answers these: API clients switch on
`code`; the Chinese message is what the cashier reads out to the elder. Face matching's own
refusals (FACE_NO_MATCH, …) live in `zhucan.face.errors`."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    # Cards (市民卡 / 社保卡)
    "CARD_UNKNOWN": (404, "该卡未登记，请改用身份证或长者码", "this card is not registered"),
    "CARD_REPORTED_LOST": (403, "该卡已挂失，不能用于就餐，请改用身份证或长者码",
                           "this card was reported lost and cannot be used"),
    "CARD_REPLACED": (403, "该卡已补办新卡，旧卡作废，请使用新卡", "this card was replaced by a new one"),
    "CARD_NUMBER_INVALID": (400, "卡号格式有误（应为6到32位字母或数字）",
                            "card number must be 6 to 32 letters or digits"),
    "CARD_NUMBER_TAKEN": (409, "该卡号已绑定其他老人", "this card number belongs to another elder"),
    "CARD_ALREADY_ACTIVE": (409, "该老人已有在用的卡，请先挂失或办理补卡",
                            "the elder already has an active card; report it lost or replace it"),
    "CARD_NOT_ACTIVE": (409, "该卡不是在用状态，无法办理此操作", "the card is not active"),
    "CARD_NOT_REPLACEABLE": (409, "该卡已补办过新卡", "the card was already replaced"),
    "ELDER_NOT_FOUND": (404, "未找到该老人，请核对身份证号", "no elder matches"),
    # Elder QR code (长者码)
    "QR_MALFORMED": (400, "无法识别的二维码：不是本平台的长者码或内容不完整，请重新出示",
                     "not a Zhucan elder code, or the code is incomplete"),
    "QR_UNKNOWN_KEY": (400, "长者码签名密钥未知（终端密钥需更新或该码非本平台签发）",
                       "the code was signed by a key this platform does not know"),
    "QR_BAD_SIGNATURE": (400, "长者码签名无效（可能被篡改），请刷新后重新出示",
                         "the code's signature is invalid (forged or altered)"),
    "QR_EXPIRED": (400, "长者码已过期，请在手机上刷新后重新出示", "the code has expired; refresh it on the phone"),
    "QR_NOT_YET_VALID": (400, "长者码时间异常（手机或终端时间不准），请校准时间后重试",
                         "the code is not valid yet (clock difference)"),
    "QR_ALREADY_USED": (409, "该长者码已使用过，请在手机上刷新后重新出示",
                        "this code was already used; refresh it on the phone"),
    "QR_UNKNOWN_ELDER": (404, "长者码对应的老人不存在或已注销", "the code's elder is not registered"),
    "QR_CARD_CODE_REVOKED": (403, "该长者卡码已作废（已挂失或重新打印），请使用新卡码",
                             "this printed card code was revoked"),
    "QR_IMAGE_UNREADABLE": (400, "图片无法读取或未找到二维码", "no readable QR code in the image"),
    "QR_SECOND_FACTOR_REQUIRED": (409, "打印版长者卡码须二次核验：{how}",
                                  "a printed elder card code needs its second factor: {factors}"),
    # Second factor of a printed card code
    "PIN_NOT_SET": (409, "该老人未设置密码，请改用其他核验方式", "the elder has no PIN; use another check"),
    "PIN_WRONG": (403, "密码错误", "wrong PIN"),
    "PIN_LOCKED": (403, "密码错误次数过多，请{minutes}分钟后再试或改用其他核验方式",
                   "too many wrong PINs; try again in {minutes} minutes"),
    "PIN_INVALID": (400, "密码须为4到6位数字", "the PIN must be 4 to 6 digits"),
    "FACTOR_INVALID": (400, "核验方式须为人脸、密码或人工核对照片", "the factor must be face, pin or photo"),
    "PHOTO_MISMATCH": (403, "收银员核对照片不一致，请改用市民卡或手机长者码",
                       "the cashier found the registered photo does not match"),
    "PHOTO_NOT_SHOWN": (409, "请先显示并核对老人的登记照片", "show and compare the registered photo first"),
    "PHOTO_NOT_KEPT": (409, "该老人未留存登记照片，无法人工核对，请改用市民卡或手机长者码",
                       "no registered photo is kept for this elder"),
    # Face ticket (a face check's answer that a following API call presents)
    "FACE_TICKET_INVALID": (400, "人脸核验凭证{why}", "the face ticket is invalid or expired"),
}

# Why a face ticket is refused (one code, FACE_TICKET_INVALID; the message says which).
_TICKET_WHY = {
    "invalid": "无效",
    "expired": "已过期（{seconds} 秒有效），请重新核验",
    "canteen": "不属于本助餐点",
    "elder": "与长者卡码不是同一位老人",
}

# Input that names no elder, or names one in two ways: INPUT_INVALID (400), like the API's own.
_INPUT = {
    "nothing": ("请刷卡、扫码或输入身份证号", "swipe a card, scan a code or type an ID number", "ident"),
    "exactly_one": ("请只提供市民卡号、身份证号、档案号、长者码、人脸核验凭证中的一项",
                    "give exactly one of card_number, id_number, elder_id, qr_token, face_ticket", "elder"),
    "pin_alone": ("密码只用于打印版长者卡码的二次核验", "pin goes only with a printed card code (qr_token)", "pin"),
    "dynamic_factor": ("手机长者码无需二次核验，请勿同时提供密码或人脸凭证",
                       "a dynamic elder code takes no second factor", "elder"),
    "not_pending": ("当前识别无需二次核验", "nothing to confirm", "factor"),
    "face_check_ref": ("请只提供卡号、身份证号、档案号或长者码",
                       "give a card, ID number, elder id or code, not a ticket or PIN", "elder"),
}

# How each second factor is asked for, per channel: the cashier page asks the elder, the API names
# the fields of the same request.
_FACTOR_HOW = {"pin": ("请老人输入密码", "密码（pin）"),
               "face": ("请老人正对摄像头进行人脸核验", "人脸核验凭证（face_ticket）"),
               "photo": ("请核对老人与登记照片是否一致", "")}


def identity_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)


def input_invalid(case: str) -> DomainError:
    zh, en, field = _INPUT[case]
    return DomainError(code="INPUT_INVALID", message_zh=zh, message_en=en, field=field, http_status=400)


def face_ticket_error(why: str, **params) -> DomainError:
    return coded_error(_MESSAGES, "FACE_TICKET_INVALID", field="face_ticket", details=False,
                       why=_TICKET_WHY[why].format(**params))


def second_factor_required(factor: str, accepted: tuple[str, ...] | None = None, *, field: str = "factor"
                           ) -> DomainError:
    """A printed card code awaits `factor` (the canteen's choice). With `accepted` (a channel that
    takes the factor in the same request) the message names those request fields."""
    if accepted is None:
        how = _FACTOR_HOW.get(factor, ("请完成二次核验",))[0]
        details: dict = {"factor": factor}
    else:
        how = "请同时提供" + "、".join(_FACTOR_HOW[f][1] for f in accepted)
        details = {"factor": factor, "accepted": list(accepted)}
    error = coded_error(_MESSAGES, "QR_SECOND_FACTOR_REQUIRED", field=field, details=False, how=how,
                        factors=", ".join(accepted or (factor,)))
    error.details = details
    return error


CODES = frozenset(_MESSAGES)

# What identification can answer an API client (docs/integration.md lists each); the rest belong to
# the staff pages (binding cards, PINs) or the cashier page (a camera frame, the registered photo).
API_CODES = frozenset({
    "CARD_UNKNOWN", "CARD_REPORTED_LOST", "CARD_REPLACED", "ELDER_NOT_FOUND", "QR_MALFORMED", "QR_UNKNOWN_KEY",
    "QR_BAD_SIGNATURE", "QR_EXPIRED", "QR_NOT_YET_VALID", "QR_ALREADY_USED", "QR_UNKNOWN_ELDER",
    "QR_CARD_CODE_REVOKED", "QR_SECOND_FACTOR_REQUIRED", "PIN_NOT_SET", "PIN_WRONG", "PIN_LOCKED",
    "FACE_TICKET_INVALID",
})
