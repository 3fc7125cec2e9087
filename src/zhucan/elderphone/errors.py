"""Stable error codes of the elder phone page (H5): login, SMS codes, bindings. The Chinese
message is what an 85-year-old reads on the phone, so it says what to do next."""

from __future__ import annotations

from zhucan.core.errors import DomainError, coded_error

_MESSAGES: dict[str, tuple[int, str, str]] = {
    "PHONE_INVALID": (400, "请输入正确的11位手机号码", "enter a valid 11-digit mainland mobile number"),
    "LOGIN_FAILED": (401, "手机号或密码不正确。第一次使用请点击“首次登录/忘记密码”，用短信验证码设置密码",
                     "wrong phone number or password"),
    "LOGIN_LOCKED": (429, "密码连续输错次数过多，请{minutes}分钟后再试，或点击“首次登录/忘记密码”重设密码",
                     "too many failed logins; try again in {minutes} minutes"),
    "SMS_TOO_FREQUENT": (429, "验证码发送太频繁，请{seconds}秒后再试", "codes are sent too often; wait {seconds} s"),
    "SMS_DAILY_LIMIT": (429, "今天获取验证码的次数已达上限，请明天再试或联系社区工作人员",
                        "the daily number of SMS codes is reached"),
    "SMS_CODE_WRONG": (400, "验证码不正确，请核对短信中的6位数字", "the SMS code is wrong"),
    "SMS_CODE_EXPIRED": (400, "验证码已过期（有效期5分钟），请重新获取", "the SMS code has expired; request a new one"),
    "SMS_CODE_ATTEMPTS": (429, "验证码输错次数过多，请重新获取验证码",
                          "too many wrong codes; request a new one"),
    "SMS_SEND_FAILED": (502, "短信发送失败，请稍后再试", "the SMS could not be sent"),
    "PASSWORD_WEAK": (400, "密码至少8位，不能是手机号或过于简单的密码（如12345678）",
                      "the password needs 8+ characters and must not be the phone number or too common"),
    "PASSWORD_MISMATCH": (400, "两次输入的密码不一致", "the two passwords differ"),
    "RELATION_INVALID": (400, "请选择与老人的关系", "choose the relation to the elder"),
    "NAME_REQUIRED": (400, "请填写家属姓名", "enter the family member's name"),
    "BINDING_EXISTS": (409, "该手机号已绑定此老人", "this phone number is already bound to the elder"),
    "SELF_BINDING_EXISTS": (409, "该老人已绑定本人手机号，请先解除原绑定",
                            "the elder already has their own phone bound"),
    "ACCOUNT_IS_SELF_ELSEWHERE": (409, "该手机号已作为其他老人的本人账号绑定",
                                  "this phone is already the own account of another elder"),
    "ACCOUNT_INACTIVE": (409, "该手机账号已停用，请联系管理员", "this phone account is deactivated"),
    "BINDING_REVOKED": (409, "该绑定已解除", "the binding was already revoked"),
}


def phone_error(code: str, *, field: str | None = None, **params) -> DomainError:
    return coded_error(_MESSAGES, code, field=field, **params)


CODES = frozenset(_MESSAGES)
