"""What a canteen declares for each of the eight filing requirements (HZ-F1..F8 of the seed's 附件1),
how a declaration is validated, which evidence it needs, and where a requirement applies.

A declaration is a small JSON object (FilingItem.declaration); its fields are described here once,
so that the manager's form, the validation and the reviewer's page read the same labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.filing.errors import filing_error
from zhucan.filing.models import FilingItem, Requirement

# --------------------------------------------------------------------------------------------------
# GB 32100-2015 统一社会信用代码: 18 characters from a 31-character alphabet (no I, O, Z, S, V); the
# 18th is a check character over the first 17 with weights 3^i mod 31.

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def credit_check_character(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(ch) * w for ch, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_clean(raw: str) -> str:
    """The code in capitals, or CREDIT_CODE_FORMAT / CREDIT_CODE_INVALID."""
    code = (raw or "").strip().upper()
    if not _CREDIT_RE.match(code):
        raise filing_error("CREDIT_CODE_FORMAT", field="credit_code")
    if credit_check_character(code[:17]) != code[17]:
        raise filing_error("CREDIT_CODE_INVALID", field="credit_code")
    return code


# --------------------------------------------------------------------------------------------------
# Declaration fields


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # "text" | "credit_code" | "date" | "int" | "yes" (must be confirmed) | "rooms" | "coverage"
    help: str = ""
    minimum: int | None = None
    max_length: int = 100


@dataclass(frozen=True)
class Spec:
    requirement: str
    fields: tuple[Field, ...]
    evidence_label: str = ""  # what to upload; empty: nothing to upload
    evidence_required: bool = False
    public_only: bool = False  # F6: only where the canteen also serves the public


SUNSHINE_ROOMS = ("清洗", "切配", "烹饪", "餐具消毒", "专间")

SPECS: dict[str, Spec] = {s.requirement: s for s in (
    Spec(Requirement.F1, (
        Field("credit_code", "统一社会信用代码", "credit_code", "18位，见营业执照"),
        Field("licence_number", "食品经营许可证编号", "text", max_length=40),
        Field("licence_expiry", "食品经营许可证有效期至", "date"),
        Field("operator", "经营主体", "text"),
        Field("legal_representative", "法定代表人", "text", max_length=40),
    ), "营业执照、食品经营许可证扫描件", True),
    Spec(Requirement.F2, (
        Field("screen_inches", "公示屏尺寸（英寸）", "int", "不小于32英寸", minimum=32),
        Field("rooms", "屏幕展示的操作区域", "rooms", "须包括清洗、切配、烹饪、餐具消毒、专间"),
    ), "公示屏及各操作区域画面照片", True),
    Spec(Requirement.F3, (
        Field("standard_confirmed", "执行全市统一的老年人助餐优惠标准", "yes"),
    )),
    Spec(Requirement.F4, (
        Field("realtime_confirmed", "就餐数据通过收银终端实时上传平台", "yes"),
    )),
    Spec(Requirement.F5, (
        Field("terminal_confirmed", "收银终端支持读卡（市民卡、身份证）、刷脸、卡码支付和小票打印", "yes"),
    )),
    Spec(Requirement.F6, (
        Field("priority_window", "设置惠老优先窗口", "yes"),
        Field("reserved_tables", "爱心餐桌（张）", "int", "至少1张", minimum=1),
    ), "优先窗口和爱心餐桌照片", True, public_only=True),
    Spec(Requirement.F7, (
        Field("online_ordering", "提供线上点单", "yes"),
        Field("home_delivery", "提供送餐上门", "yes"),
        Field("coverage", "送餐覆盖社区", "coverage", "须包括助餐点所在社区"),
    ), "点单渠道、送餐服务说明（可选）"),
    Spec(Requirement.F8, (
        Field("cameras", "就餐区监控摄像头（个）", "int", "至少1个", minimum=1),
        Field("live_view", "市级平台可实时调看就餐区画面", "yes"),
        Field("playback_days", "录像保存天数", "int", "不少于7天", minimum=7),
    ), "监控画面截图（可选）"),
)}


def applies(requirement: str, canteen) -> bool:
    return not SPECS[requirement].public_only or canteen.open_to_public


def coverage_choices(canteen):
    """The communities of the canteen's district, which a delivery area may name."""
    from zhucan.regions.models import Level, Region

    district = canteen.region.ancestor(Level.DISTRICT) or canteen.region
    return Region.objects.filter(level=Level.COMMUNITY, path__startswith=district.path).order_by("path")


def _own_communities(canteen, choices) -> set[int]:
    """Its own community; a canteen registered at a subdistrict counts every community under it."""
    return {c.pk for c in choices if c.path.startswith(canteen.region.path)}


def _invalid(f: Field, problem: str, problem_en: str) -> DomainError:
    return filing_error("DECLARATION_INVALID", field=f.name, label=f.label, problem=problem, problem_en=problem_en)


def _missing(f: Field) -> DomainError:
    return filing_error("DECLARATION_MISSING", field=f.name, label=f.label)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _clean_field(f: Field, value, canteen):
    if f.kind == "yes":
        if value in (True, "1", "on", "true", "yes", 1):
            return True
        raise _invalid(f, "须确认", "must be confirmed")
    if _blank(value):
        raise _missing(f)
    if f.kind == "text":
        text = str(value).strip()
        if len(text) > f.max_length:
            raise _invalid(f, f"不能超过{f.max_length}个字", f"at most {f.max_length} characters")
        return text
    if f.kind == "credit_code":
        return credit_code_clean(str(value))
    if f.kind == "date":
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
        except ValueError:
            raise _invalid(f, "不是有效日期（如2027-06-30）", "not a date (YYYY-MM-DD)") from None
        if f.name == "licence_expiry" and day < clock.local_today():
            raise filing_error("LICENCE_EXPIRED", field=f.name, date=day.isoformat())
        return day.isoformat()
    if f.kind == "int":
        try:
            number = value if isinstance(value, int) and not isinstance(value, bool) else int(str(value).strip())
        except ValueError:
            raise _invalid(f, "须为整数", "must be a whole number") from None
        if f.minimum is not None and number < f.minimum:
            raise _invalid(f, f"不能少于{f.minimum}", f"must be at least {f.minimum}")
        if number > 100_000:
            raise _invalid(f, "数值过大", "too large")
        return number
    if f.kind == "rooms":
        rooms = [value] if isinstance(value, str) else list(value)
        missing = [r for r in SUNSHINE_ROOMS if r not in rooms]
        if missing or any(r not in SUNSHINE_ROOMS for r in rooms):
            raise _invalid(f, f"还须展示：{'、'.join(missing)}", f"missing rooms: {', '.join(missing)}")
        return list(SUNSHINE_ROOMS)
    if f.kind == "coverage":
        raw = [value] if isinstance(value, str | int) else list(value)
        try:
            ids = sorted({int(v) for v in raw})
        except (TypeError, ValueError):
            raise _invalid(f, "包含无效的社区", "names an unknown community") from None
        choices = list(coverage_choices(canteen))
        known = {c.pk for c in choices}
        if any(i not in known for i in ids):
            raise _invalid(f, "包含本区以外或不存在的社区", "names a community outside the district")
        if not _own_communities(canteen, choices) & set(ids):
            raise _invalid(f, "须包括助餐点所在社区", "must include the canteen's own community")
        return ids
    raise ValueError(f.kind)


def declaration_clean(requirement: str, declaration: dict, canteen) -> dict:
    """The declaration as stored (JSON-ready), or the first precise problem as a DomainError."""
    spec = SPECS[requirement]
    if not applies(requirement, canteen):
        raise filing_error("REQUIREMENT_NOT_APPLICABLE", requirement=Requirement(requirement).label)
    declaration = declaration or {}
    return {f.name: _clean_field(f, declaration.get(f.name), canteen) for f in spec.fields}


def item_problems(item: FilingItem) -> list[DomainError]:
    """What keeps an item from being submitted: an incomplete or no longer valid declaration
    (a licence that has expired since it was saved), or missing evidence."""
    canteen = item.filing.canteen
    if not applies(item.requirement, canteen):
        return []
    problems: list[DomainError] = []
    try:
        declaration_clean(item.requirement, item.declaration, canteen)
    except DomainError as exc:
        problems.append(exc)
    spec = SPECS[item.requirement]
    if spec.evidence_required and not item.evidence.exists():
        problems.append(filing_error("EVIDENCE_MISSING", field="evidence",
                                     requirement=Requirement(item.requirement).label))
    return problems


def declaration_lines(requirement: str, declaration: dict, canteen=None) -> list[tuple[str, str]]:
    """(label, value) pairs in Chinese, for the manager's and the reviewer's pages."""
    out = []
    for f in SPECS[requirement].fields:
        value = (declaration or {}).get(f.name)
        if f.kind == "yes":
            shown = "是" if value is True else "否"
        elif f.kind == "rooms":
            shown = "、".join(value or [])
        elif f.kind == "coverage":
            from zhucan.regions.models import Region

            shown = "、".join(Region.objects.filter(pk__in=value or []).order_by("path").values_list("name", flat=True))
        else:
            shown = "" if value is None else str(value)
        out.append((f.label, shown))
    return out
