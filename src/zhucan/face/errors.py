"""Stable error codes of face verification and identification (API clients switch on `code`).

Every refusal tells the cashier what to do instead: face is never the only way (2025 rules on
face recognition, art. 10): the citizen card or the elder code always remains.
"""

from __future__ import annotations

from zhucan.core.errors import DomainError

FALLBACK_ZH = "请改用市民卡或长者码"
FALLBACK_EN = "please use the citizen card or the elder code instead"


def _err(code: str, zh: str, en: str, *, status: int = 400, field: str | None = "image", **details) -> DomainError:
    return DomainError(code=code, message_zh=zh, message_en=en, field=field, http_status=status,
                       details=dict(details))


def no_face() -> DomainError:
    return _err("FACE_NO_FACE", f"照片中未检测到清晰的正脸，请正对镜头重拍，或{FALLBACK_ZH}",
                f"no clear frontal face found in the photo; retake it facing the camera, or {FALLBACK_EN}")


def several_faces(count: int) -> DomainError:
    return _err("FACE_SEVERAL_FACES", f"照片中有 {count} 张人脸，请只让本人入镜，或{FALLBACK_ZH}",
                f"{count} faces in the photo; only the elder should be in the frame, or {FALLBACK_EN}",
                faces=count)


def image_invalid() -> DomainError:
    return _err("FACE_IMAGE_INVALID", "无法读取该图片（文件损坏或不是 JPEG/PNG 照片）",
                "the image cannot be read (corrupt, or not a JPEG/PNG photo)")


def image_too_large(limit: str) -> DomainError:
    return _err("FACE_IMAGE_TOO_LARGE", f"图片过大（上限 {limit}），请压缩后重试",
                f"the image is too large (limit {limit}); send a smaller one", status=413, limit=limit)


def not_enrolled() -> DomainError:
    return _err("FACE_NOT_ENROLLED", f"该老人尚未录入人脸，{FALLBACK_ZH}",
                f"this elder has no face enrolment; {FALLBACK_EN}", field=None)


def no_consent(scope: str) -> DomainError:
    return _err("FACE_NO_CONSENT", f"该老人未单独同意此项人脸识别用途，{FALLBACK_ZH}",
                f"the elder has not given separate consent to this use of face recognition; {FALLBACK_EN}",
                status=403, field=None, scope=scope)


def no_match() -> DomainError:
    return _err("FACE_NO_MATCH", f"人脸比对未通过，{FALLBACK_ZH}",
                f"the face did not match; {FALLBACK_EN}", field=None)


def ambiguous() -> DomainError:
    return _err("FACE_AMBIGUOUS", f"人脸与多位老人相近，无法确定身份，{FALLBACK_ZH}",
                f"the face is close to more than one elder, so nobody is chosen; {FALLBACK_EN}", field=None)


def identify_disabled() -> DomainError:
    return _err("FACE_IDENTIFY_DISABLED", f"本助餐点未开启刷脸识别，{FALLBACK_ZH}",
                f"face identification is not enabled at this canteen; {FALLBACK_EN}", status=403, field=None)


def consent_exists() -> DomainError:
    return _err("FACE_CONSENT_EXISTS", "该用途的人脸识别同意已在有效期内，无需重复登记",
                "a consent for this use is already in force", status=409, field="scope")


def consent_not_found() -> DomainError:
    return _err("FACE_CONSENT_NOT_FOUND", "没有可撤回的有效同意", "there is no consent in force to withdraw",
                status=404, field="scope")


def bad_scope() -> DomainError:
    return _err("FACE_BAD_SCOPE", "未知的人脸识别用途", "unknown face-recognition scope", field="scope")


def bad_source() -> DomainError:
    return _err("FACE_BAD_SOURCE", "未知的录入来源", "unknown enrolment source", field="source")


def text_version_required() -> DomainError:
    return _err("FACE_CONSENT_TEXT_REQUIRED", "请填写告知同意书的版本号",
                "the version of the consent text is required", field="text_version")


def elder_inactive() -> DomainError:
    return _err("FACE_ELDER_INACTIVE", "该老人档案状态非“正常”，不能录入人脸",
                "the elder's record is not active; no face can be enrolled", field=None)


def already_enrolled() -> DomainError:
    return _err("FACE_ALREADY_ENROLLED", "该老人已录入人脸；更换人脸须由街道/社区工作人员办理",
                "the elder already has an enrolled face; replacing it needs subdistrict staff", status=409,
                field=None)
