"""Stable error codes of identification (card, QR code). API clients and the cashier page switch
on `code`; the Chinese message is what the cashier reads out to the elder."""

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
    # Second factor of a printed card code
    "PIN_NOT_SET": (409, "该老人未设置密码，请改用其他核验方式", "the elder has no PIN; use another check"),
    "PIN_WRONG": (403, "密码错误", "wrong PIN"),
    "PIN_LOCKED": (403, "密码错误次数过多，请{minutes}分钟后再试或改用其他核验方式",
                   "too many wrong PINs; try again in {minutes} minutes"),
    "PIN_INVALID": (400, "密码须为4到6位数字", "the PIN must be 4 to 6 digits"),
    "FACTOR_INVALID": (400, "核验方式须为人脸、密码或人工核对照片", "the factor must be face, pin or photo"),
}


def identity_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)


CODES = frozenset(_MESSAGES)
