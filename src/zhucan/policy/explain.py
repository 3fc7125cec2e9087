"""Explanations of a quote in Chinese and English, and a readable Chinese view of a version.

Example: ``85岁，7折；午餐时段首次优惠；今日已优惠6.00元，封顶20.00元``.
Built lazily (only when a quote's explanation is read) so the hot quoting path stays lean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import engine as E
from .model import ANNOUNCED_REPLACE, SPLIT_PROPORTIONAL, Band, Layer, Policy, Rule, Version
from .money import bp_to_zhe, format_fen

if TYPE_CHECKING:
    from .engine import LayerOutcome, Quote

TAG_NAMES_ZH = {
    "purchased_home_care": "购买居家养老服务",
    "dibao": "低保",
    "tekun": "特困",
    "disabled": "失能",
    "living_alone": "独居",
    "empty_nest": "空巢",
}
STATUS_ZH = {"deceased": "已故", "moved_away": "已迁出", "active": "在册"}


def _tag_zh(tags: frozenset[str] | set[str]) -> str:
    return "、".join(TAG_NAMES_ZH.get(t, t) for t in sorted(tags))


def band_label_zh(policy: Policy, rule: Rule, band: Band) -> str:
    if band.label_zh:
        return band.label_zh
    if rule.kind == "percent":
        return bp_to_zhe(band.value)
    funder = policy.funders.get(rule.funder)
    return f"{funder.name_zh if funder else rule.funder}每餐补贴{format_fen(band.value)}元"


def band_label_en(policy: Policy, rule: Rule, band: Band) -> str:
    if band.label_en:
        return band.label_en
    if rule.kind == "percent":
        return f"{band.value / 100:g}% off"
    return f"{rule.funder} subsidy {format_fen(band.value)} yuan per meal"


def _period_text_zh(q: Quote) -> str:
    return "、".join(f"{p.name_zh}{p.hhmm()}" for p in q.version.periods)


def _announced_text_zh(q: Quote) -> str:
    names = {p.name: p.name_zh for p in q.version.periods}
    return "、".join(f"{names.get(a.name, a.name)}{a.start:%H:%M}–{a.end:%H:%M}"
                    for a in sorted(q.announced or (), key=lambda a: a.start))


def _shared_zh(q: Quote, oc: LayerOutcome) -> str | None:
    """How the rules shared a total cut short by the price or the cap left (more than one funder)."""
    paid = [(r, amt) for r, _b, amt in oc.hits]
    if len(paid) < 2 or oc.granted_fen >= oc.raw_fen:
        return None
    limit = "餐费" if oc.granted_fen == oc.base_fen else "封顶余额"
    how = "按补贴比例分摊" if oc.layer.split_when_short == SPLIT_PROPORTIONAL else "按规则顺序"
    shares = "、".join(f"{q.policy.funders[r.funder].name_zh if r.funder in q.policy.funders else r.funder}"
                      f"{format_fen(amt)}元" for r, amt in paid)
    return f"补贴以{limit}为限，{how}：{shares}"


def _granted_zh(q: Quote, oc: LayerOutcome, first: bool) -> list[str]:
    layer = oc.layer
    labels = "、".join(band_label_zh(q.policy, r, b) for r, b, amt in oc.hits if amt or len(oc.hits) == 1)
    parts = [f"{q.age}岁，{labels}" if first else f"{layer.name_zh}：{labels}"]
    lim = layer.limits
    after = oc.usage_after
    if q.period is not None and lim.per_period is not None:
        n = after.period_count(q.period.name)
        parts.append(f"{q.period.name_zh}时段首次优惠" if n == 1 else f"{q.period.name_zh}时段第{n}次优惠")
    elif lim.per_day is not None:
        parts.append(f"每日补助{lim.per_day}餐，今日第{after.meals}餐")
    shared = _shared_zh(q, oc)
    if shared:
        parts.append(shared)
    if lim.daily_cap_fen is not None:
        text = f"今日已优惠{format_fen(after.benefit_fen)}元，封顶{format_fen(lim.daily_cap_fen)}元"
        if oc.granted_fen < oc.raw_fen and oc.granted_fen < oc.base_fen:
            text += f"（本餐按封顶余额优惠{format_fen(oc.granted_fen)}元）"
        parts.append(text)
    return parts


def _refused_zh(q: Quote, oc: LayerOutcome, first: bool) -> str:
    layer, reason, el = oc.layer, oc.reason, oc.layer.eligibility
    prefix = "" if first else f"{layer.name_zh}："
    lim = layer.limits
    if reason == E.CANTEEN_NOT_DESIGNATED:
        return f"{prefix}本助餐点当日不是定点助餐机构（未定点或已暂停定点），本餐不享受优惠，按原价"
    if reason == E.ELDER_INACTIVE:
        # Find the elder's status through the layer-independent facts is not possible here; say it plainly.
        return f"{prefix}老人已故或已迁出，自状态变更之日起不享受优惠"
    if reason == E.NOT_VERIFIED:
        return f"{prefix}老人助餐资格尚未经街道核查，暂不享受补助"
    if reason == E.NOT_IN_DISTRICT:
        return f"{prefix}仅限{'、'.join(sorted(el.canteen_districts or ()))}的助餐机构"
    if reason == E.NOT_IN_AREA:
        return f"{prefix}仅限{'、'.join(sorted(el.areas or ()))}助餐机构"
    if reason == E.NOT_HUKOU_DISTRICT:
        return f"{prefix}仅限{'、'.join(sorted(el.hukou_districts or ()))}户籍老人"
    if reason == E.NOT_ELIGIBLE_AGE:
        if q.age < el.min_age:
            return f"{prefix}{q.age}岁，未满{el.min_age}周岁，不享受优惠"
        return f"{prefix}{q.age}岁，不在优惠年龄段"
    if reason == E.EXCLUDED_TAG:
        return f"{prefix}已享受{_tag_zh(el.excluded_tags)}的人群不在补助范围"
    if reason == E.MISSING_TAG:
        return f"{prefix}仅限{_tag_zh(el.required_tags_any)}老人"
    if reason == E.OUTSIDE_MEAL_PERIOD and q.announced is not None:
        hours = _announced_text_zh(q) or "未公告供餐时段"
        return f"{prefix}{q.at_local:%H:%M}不在本食堂公告的优惠时段（{hours}），按原价"
    if reason == E.OUTSIDE_MEAL_PERIOD:
        return f"{prefix}{q.at_local:%H:%M}不在优惠时段（{_period_text_zh(q)}，以食堂公告为准），按原价"
    if reason == E.PERIOD_ALREADY_USED:
        name = q.period.name_zh if q.period else ""
        return f"{prefix}{name}时段已享受过优惠（每个时段限{lim.per_period}次），本餐按原价"
    if reason == E.DAILY_MEALS_USED:
        return f"{prefix}今日已享受{oc.usage_before.meals}餐补助（每日限{lim.per_day}餐），本餐不补助"
    if reason == E.DAILY_CAP_REACHED:
        cap = format_fen(lim.daily_cap_fen or 0)
        return f"{prefix}今日已优惠{format_fen(oc.usage_before.benefit_fen)}元，已达每日封顶{cap}元"
    if reason == E.NOTHING_PAYABLE:
        return f"{prefix}本餐无待付金额"
    if reason == E.BENEFIT_ROUNDS_TO_ZERO:
        return f"{prefix}优惠金额不足0.01元"
    return f"{prefix}{reason}"


def explain_zh(q: Quote) -> str:
    """The Chinese explanation shown to the elder and the cashier."""
    parts: list[str] = []
    for n, oc in enumerate(q.outcomes):
        first = n == 0
        if oc.granted_fen:
            parts.extend(_granted_zh(q, oc, first))
        elif first or oc.reason in E.LIMIT_REASONS:
            parts.append(_refused_zh(q, oc, first))
    if len(q.outcomes) > 1 and q.benefit_fen:
        parts.append(f"合计优惠{format_fen(q.benefit_fen)}元")
    return "；".join(parts)


_REASON_EN = {
    E.CANTEEN_NOT_DESIGNATED: "the canteen is not a designated canteen on this date: no benefit, full price",
    E.ELDER_INACTIVE: "elder deceased or moved away: no benefit from the status date",
    E.NOT_VERIFIED: "eligibility not yet verified by the subdistrict",
    E.NOT_IN_DISTRICT: "only at canteens of the district",
    E.NOT_IN_AREA: "only at canteens of the area",
    E.NOT_HUKOU_DISTRICT: "only for residents registered in the district",
    E.EXCLUDED_TAG: "excluded group",
    E.MISSING_TAG: "only for the listed groups",
    E.PERIOD_ALREADY_USED: "benefit already used in this meal period: full price",
    E.NOTHING_PAYABLE: "nothing left to pay",
    E.BENEFIT_ROUNDS_TO_ZERO: "benefit below 0.01 yuan",
}


def explain_en(q: Quote) -> str:
    """The English explanation (for logs, auditors and non-Chinese readers)."""
    parts: list[str] = []
    for n, oc in enumerate(q.outcomes):
        lim = oc.layer.limits
        prefix = "" if n == 0 else f"{oc.layer.name_en}: "
        if oc.granted_fen:
            labels = ", ".join(band_label_en(q.policy, r, b) for r, b, amt in oc.hits if amt or len(oc.hits) == 1)
            parts.append(f"{prefix}age {q.age}, {labels}" if n == 0 else f"{prefix}{labels}")
            if q.period is not None and lim.per_period is not None:
                parts.append(f"benefit no. {oc.usage_after.period_count(q.period.name)} in the {q.period.name_en} "
                             f"period (limit {lim.per_period})")
            elif lim.per_day is not None:
                parts.append(f"meal {oc.usage_after.meals} of {lim.per_day} subsidised today")
            if lim.daily_cap_fen is not None:
                text = (f"{format_fen(oc.usage_after.benefit_fen)} yuan used today of the "
                        f"{format_fen(lim.daily_cap_fen)} yuan cap")
                if oc.granted_fen < oc.raw_fen and oc.granted_fen < oc.base_fen:
                    text += " (this meal gets only what was left of the cap)"
                parts.append(text)
        elif n == 0 or oc.reason in E.LIMIT_REASONS:
            r = oc.reason
            if r == E.NOT_ELIGIBLE_AGE:
                parts.append(f"{prefix}age {q.age}: outside the eligible ages (from {oc.layer.eligibility.min_age})")
            elif r == E.OUTSIDE_MEAL_PERIOD and q.announced is not None:
                parts.append(f"{prefix}{q.at_local:%H:%M} is outside the hours the canteen announced: full price")
            elif r == E.OUTSIDE_MEAL_PERIOD:
                parts.append(f"{prefix}{q.at_local:%H:%M} is outside the meal periods: full price")
            elif r == E.DAILY_MEALS_USED:
                parts.append(f"{prefix}{oc.usage_before.meals} subsidised meal(s) already today (limit {lim.per_day})")
            elif r == E.DAILY_CAP_REACHED:
                parts.append(f"{prefix}daily cap of {format_fen(lim.daily_cap_fen or 0)} yuan reached")
            else:
                parts.append(f"{prefix}{_REASON_EN.get(r or '', r)}")
    if len(q.outcomes) > 1 and q.benefit_fen:
        parts.append(f"total benefit {format_fen(q.benefit_fen)} yuan")
    return "; ".join(parts)


def _who_zh(layer: Layer) -> str:
    el = layer.eligibility
    who = f"年满{el.min_age}周岁" + (f"至{el.max_age}周岁" if el.max_age is not None else "")
    if el.hukou_districts:
        who += f"，户籍在{'、'.join(sorted(el.hukou_districts))}"
    if el.required_tags_any:
        who += f"，限{_tag_zh(el.required_tags_any)}"
    if el.excluded_tags:
        who += f"；不含{_tag_zh(el.excluded_tags)}人群"
    if el.require_verified:
        who += "；须经街道资格核查"
    return who


def _band_zh(rule: Rule, b: Band) -> str:
    ages = f"{b.min_age}-{b.max_age}周岁" if b.max_age is not None else f"{b.min_age}周岁及以上"
    value = bp_to_zhe(b.value) if rule.kind == "percent" else f"每餐{format_fen(b.value)}元"
    label = f"（{b.label_zh}）" if b.label_zh and b.label_zh != value else ""
    return f"{ages}：{value}{label}"


def _limits_zh(layer: Layer) -> list[str]:
    lim = layer.limits
    limits = []
    if lim.require_period:
        limits.append("仅限用餐优惠时段")
    if lim.per_period is not None:
        limits.append(f"每个时段限{lim.per_period}次")
    if lim.per_day is not None:
        limits.append(f"每日限{lim.per_day}餐")
    if lim.daily_cap_fen is not None:
        limits.append(f"每日最高优惠{format_fen(lim.daily_cap_fen)}元")
    limits.append("优惠不超过餐费")
    return limits


def _layer_zh(policy: Policy, layer: Layer) -> list[str]:
    el, lim = layer.eligibility, layer.limits
    out = [f"【{layer.name_zh}】（{layer.id}）", f"  对象：{_who_zh(layer)}　〔{el.ref}〕"]
    if el.canteen_districts:
        out.append(f"  适用助餐机构：{'、'.join(sorted(el.canteen_districts))}")
    if el.areas:
        out.append(f"  适用区域：{'、'.join(sorted(el.areas))}")
    for rule in layer.rules:
        funder = policy.funders.get(rule.funder)
        out.append(f"  规则 {rule.id}（{rule.name_zh}，出资方：{funder.name_zh if funder else rule.funder}）"
                   f"　〔{rule.ref}〕")
        out.extend(f"    {_band_zh(rule, b)}" for b in rule.bands)
    out.append(f"  限制：{'；'.join(_limits_zh(layer))}　〔{lim.ref}〕")
    if len(layer.rules) > 1:
        if layer.split_when_short == SPLIT_PROPORTIONAL:
            out.append("  分摊：餐费或封顶余额不足各规则合计时，按各规则金额比例分摊，尾差分计靠前的规则")
        else:
            out.append("  分摊：餐费或封顶余额不足各规则合计时，按规则顺序支付，靠后的规则先减")
    return out


def layer_public_zh(layer: Layer) -> dict:
    """A layer as a citizen reads it on a canteen's public page: the same Chinese as
    ``zhucan policy show``, without rule ids, funders' codes or clause references."""
    return {
        "title": layer.name_zh,
        "who": _who_zh(layer),
        "rules": [f"{rule.name_zh}：" + "；".join(_band_zh(rule, b) for b in rule.bands) for rule in layer.rules],
        "limits": "；".join(_limits_zh(layer)),
    }


def layer_applies_to_canteen(layer: Layer, *, district: str, area: str | None) -> bool:
    """Whether the layer's benefit is given at a canteen of this district and area."""
    el = layer.eligibility
    if el.canteen_districts is not None and district not in el.canteen_districts:
        return False
    return el.areas is None or area in el.areas


def show_version_zh(policy: Policy, version: Version) -> str:
    """The version in force, in readable Chinese (``zhucan policy show``)."""
    lines = [f"{policy.name_zh}（{policy.id}）", f"版本：{version.id}，自{version.effective_from.isoformat()}起施行"
             f"　〔{version.ref}〕"]
    later = [v for v in policy.versions if v.effective_from > version.effective_from]
    if later:
        lines.append(f"下一版本：{later[0].id}，自{later[0].effective_from.isoformat()}起施行")
    for ov in policy.overlays:
        found = [(eff, vid) for eff, vid, _ in ov.versions if eff <= version.effective_from or vid in version.id]
        if found:
            eff, vid = found[-1]
            lines.append(f"区级叠加规则：{ov.name_zh}（{ov.id}），版本{vid}，自{eff.isoformat()}起施行")
    if version.notes_zh:
        lines.append(f"说明：{version.notes_zh}")
    lines.append("出资方：" + "、".join(f"{f.name_zh}（{f.id}）" for f in policy.funders.values()))
    if version.periods:
        if version.announced_hours == ANNOUNCED_REPLACE:
            note = "（含起止分钟；食堂公告了某时段开放时间的，以公告时间为该时段的优惠时段）"
        else:
            note = "（含起止分钟；食堂公告的开放时间只在以上时段内享受优惠）"
        lines.append("用餐优惠时段：" + "；".join(f"{p.name_zh} {p.hhmm()}" for p in version.periods) + note)
    else:
        lines.append("用餐优惠时段：不限时段")
    for layer in version.layers:
        lines.extend(_layer_zh(policy, layer))
    if version.construction:
        lines.append("建设补贴（一次性）：")
        for c in version.construction.values():
            parts = "，".join(f"{policy.funders[fl.funder].name_zh}{format_fen(fl.amount_fen)}元" for fl in c.lines)
            lines.append(f"  {c.name_zh}：{parts}　〔{c.lines[0].ref}〕")
    if version.rewards:
        cond = f"（{version.reward_conditions_zh}）" if version.reward_conditions_zh else ""
        lines.append(f"运营奖补（按年度就餐人次）{cond}：")
        area_zh = {"urban": "城区", "rural": "农村"}
        for area, tiers in version.rewards.items():
            for t in tiers:
                parts = "，".join(f"{policy.funders[fl.funder].name_zh}{format_fen(fl.amount_fen)}元" for fl in t.lines)
                lines.append(f"  {area_zh.get(area, area)}满{t.min_meals}人次：{parts}　〔{t.lines[0].ref}〕")
    for key, title in policy.sources.items():
        lines.append(f"依据 {key}：{title}")
    return "\n".join(lines)
