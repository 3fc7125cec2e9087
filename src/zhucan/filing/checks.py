"""What the platform checks itself for each filing requirement (HZ-F1..F8), beside the district's
review: the licence and credit code (F1), the city's rates through the real policy engine (F3), the
terminal's training-mode meals (F4), the terminals' capabilities and tests (F5).

Checks are pluggable: `register_check(requirement, fn)` installs the check of a requirement the
platform cannot verify yet (sunshine-kitchen video F2, online ordering F7, dining-area video F8); until
one is registered such a requirement stands as declared."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, time
from typing import NamedTuple

from django.conf import settings

from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.core.money import fen_to_yuan
from zhucan.filing.models import (
    CheckResult,
    Filing,
    FilingItem,
    Requirement,
    TerminalCapabilities,
    TerminalTest,
    TerminalTestKind,
)
from zhucan.filing.requirements import applies, credit_code_clean


class CheckOutcome(NamedTuple):
    result: str  # a CheckResult
    detail: list[str]  # Chinese lines the reviewer reads


Check = Callable[[FilingItem, date], CheckOutcome]
_CHECKS: dict[str, Check] = {}


def register_check(requirement: str, fn: Check) -> None:
    """Install (or replace) the automatic check of a requirement: fn(item, on) -> CheckOutcome."""
    _CHECKS[Requirement(requirement).value] = fn


def _check(requirement: str):
    def install(fn: Check) -> Check:
        register_check(requirement, fn)
        return fn

    return install


def check_item(item: FilingItem, on: date | None = None) -> CheckOutcome:
    on = on or clock.local_today()
    if not applies(item.requirement, item.filing.canteen):
        return CheckOutcome(CheckResult.NOT_APPLICABLE, ["本助餐点不对社会开放，此项不适用"])
    fn = _CHECKS.get(item.requirement)
    if fn is None:
        return CheckOutcome(CheckResult.DECLARED, ["平台暂不能自动核验，以申报内容和证明材料为准"])
    return fn(item, on)


def run_checks(*, filing: Filing) -> None:
    """Run every requirement's check and store the result on its item (inside the caller's
    transaction: the submission that triggers it)."""
    on, now = clock.local_today(), clock.now()
    for item in filing.items.select_related("filing__canteen__region"):
        outcome = check_item(item, on)
        item.check_result, item.check_detail, item.checked_at = outcome.result, outcome.detail, now
        item.save(update_fields=["check_result", "check_detail", "checked_at"])


# --------------------------------------------------------------------------------------------------
# F1 registered and qualified


@_check(Requirement.F1)
def check_registration(item: FilingItem, on: date) -> CheckOutcome:
    d = item.declaration or {}
    lines, ok = [], True
    try:
        code = credit_code_clean(d.get("credit_code", ""))
        lines.append(f"统一社会信用代码{code}校验位正确")
    except DomainError as exc:
        ok = False
        lines.append(exc.message_zh)
    try:
        expiry = date.fromisoformat(d.get("licence_expiry") or "")
    except ValueError:
        ok = False
        lines.append("未填写食品经营许可证有效期")
    else:
        if expiry < on:
            ok = False
            lines.append(f"食品经营许可证已于{expiry:%Y-%m-%d}到期")
        else:
            lines.append(f"食品经营许可证{d.get('licence_number', '')}有效期至{expiry:%Y-%m-%d}，"
                         f"{on:%Y-%m-%d}在有效期内")
    return CheckOutcome(CheckResult.PASSED if ok else CheckResult.FAILED, lines)


# --------------------------------------------------------------------------------------------------
# F3 the city's standard discounts, through the real engine

SAMPLE_AMOUNT_FEN = 2000


def _age_bands(version) -> list[tuple[int, int | None]]:
    """The age ranges in which the rates differ: between successive band boundaries of every layer."""
    starts = set()
    for layer in version.layers:
        starts.add(layer.eligibility.min_age)
        for rule in layer.rules:
            for band in rule.bands:
                starts.add(band.min_age)
                if band.max_age is not None:
                    starts.add(band.max_age + 1)
    ordered = sorted(starts)
    return [(a, (ordered[i + 1] - 1) if i + 1 < len(ordered) else None) for i, a in enumerate(ordered)]


def _sample_moment(version, canteen_facts, on: date) -> datetime:
    """Inside the canteen's lunch window (its announced hours, or the policy's), so the test quote
    is taken where a benefit applies."""
    windows = [(p.name, p.start, p.end) for p in (canteen_facts.periods or ())]
    if not windows:
        windows = [(p.name, time(p.start_min // 60, p.start_min % 60), time(p.end_min // 60, p.end_min % 60))
                   for p in version.periods]
    if not windows:
        return datetime.combine(on, time(12, 0), tzinfo=clock.LOCAL_TZ)
    _name, start, _end = next((w for w in windows if w[0] == "lunch"), windows[0])
    return datetime.combine(on, start, tzinfo=clock.LOCAL_TZ)


def _band_text(lo: int, hi: int | None) -> str:
    return f"{lo}岁及以上" if hi is None else f"{lo}–{hi}岁"


@_check(Requirement.F3)
def check_standard_rates(item: FilingItem, on: date) -> CheckOutcome:
    from zhucan.policy import ElderFacts, evaluate
    from zhucan.policy.explain import band_label_zh
    from zhucan.rules.facts import canteen_facts, policy_for_canteen

    canteen = item.filing.canteen
    try:
        policy = policy_for_canteen(canteen)
    except DomainError as exc:
        return CheckOutcome(CheckResult.FAILED, ["助餐点所在城市未配置优惠政策：" + exc.message_zh])
    version = policy.version_on(on)
    facts = canteen_facts(canteen)
    if any(f.name == "designated" for f in dataclasses.fields(facts)):
        # The test shows the rates the canteen will apply once designated, before it is.
        facts = dataclasses.replace(facts, designated=True)
    at = _sample_moment(version, facts, on)
    district = facts.district or canteen.region.name
    names = "、".join(dict.fromkeys(layer.name_zh for layer in version.layers))
    lines = [f"按{policy.name_zh}（{names}）对{district}的本助餐点试算一餐{fen_to_yuan(SAMPLE_AMOUNT_FEN)}元："]
    granted = False
    for lo, hi in _age_bands(version):
        elder = ElderFacts(birth_date=date(on.year - lo, 1, 1), hukou_district=facts.district or None)
        quote = evaluate(policy, elder, facts, at, amount_fen=SAMPLE_AMOUNT_FEN)
        labels = [band_label_zh(policy, rule, band) for oc in quote.outcomes for rule, band, _a in oc.hits]
        if quote.benefit_fen:
            granted = True
            lines.append(f"{_band_text(lo, hi)} {'，'.join(labels)}：优惠{fen_to_yuan(quote.benefit_fen)}元，"
                         f"实付{fen_to_yuan(quote.payable_fen)}元")
        else:
            lines.append(f"{_band_text(lo, hi)} 无优惠")
    return CheckOutcome(CheckResult.PASSED if granted else CheckResult.FAILED, lines)


# --------------------------------------------------------------------------------------------------
# F4 and F5: what the canteen's terminals reported


def realtime_seconds() -> int:
    return int(getattr(settings, "ZHUCAN_FILING_REALTIME_SECONDS", 10))


def _terminals(canteen):
    return list(canteen.terminals.filter(revoked_at__isnull=True).order_by("pk"))


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M:%S}"


MEAL_FIELDS = ("elder_id", "elder", "items", "gross_fen", "benefit_fen", "payable_fen")


def meal_test_complete(test: TerminalTest) -> bool:
    """Uploaded in time, with elder, time, dishes, amount and benefit."""
    d = test.detail or {}
    if test.occurred_at is None or any(d.get(k) in (None, "", []) for k in MEAL_FIELDS):
        return False
    return 0 <= (test.at - test.occurred_at).total_seconds() <= realtime_seconds()


def meal_test_line(test: TerminalTest) -> str:
    d = test.detail or {}
    dishes = "、".join(f"{i.get('name')}×{i.get('quantity')}" for i in d.get("items") or [])
    delay = (test.at - test.occurred_at).total_seconds() if test.occurred_at else None
    return (f"{test.terminal.name} {_local(test.occurred_at or test.at)} 测试就餐：{d.get('elder', '')}，{dishes}，"
            f"消费{fen_to_yuan(d.get('gross_fen') or 0)}元，优惠{fen_to_yuan(d.get('benefit_fen') or 0)}元，"
            f"{'' if delay is None else f'{delay:.0f}秒后到达平台'}")


@_check(Requirement.F4)
def check_realtime_data(item: FilingItem, on: date) -> CheckOutcome:
    terminals = _terminals(item.filing.canteen)
    tests = list(TerminalTest.objects.filter(terminal__in=terminals, kind=TerminalTestKind.MEAL)
                 .select_related("terminal")[:5])
    if not tests:
        return CheckOutcome(CheckResult.FAILED,
                            ["尚未收到收银终端的测试就餐数据（请在收银终端上以培训模式完成一笔测试就餐）"])
    good = [t for t in tests if meal_test_complete(t)]
    lines = [meal_test_line(t) for t in (good or tests)[:3]]
    if good:
        return CheckOutcome(CheckResult.PASSED, lines)
    return CheckOutcome(CheckResult.FAILED, [f"测试就餐数据不完整或未在{realtime_seconds()}秒内到达平台", *lines])


CAPABILITIES = (
    ("citizen_card_reader", "市民卡（社保卡）读卡"),
    ("id_card_reader", "身份证读卡"),
    ("face", "刷脸识别"),
    ("card_payment", "刷卡支付"),
    ("qr_payment", "扫码支付"),
    ("receipt_printer", "小票打印"),
)


@_check(Requirement.F5)
def check_terminals(item: FilingItem, on: date) -> CheckOutcome:
    terminals = _terminals(item.filing.canteen)
    if not terminals:
        return CheckOutcome(CheckResult.FAILED, ["本助餐点尚未登记收银终端"])
    ok, lines = True, []
    caps = {c.terminal_id: c for c in TerminalCapabilities.objects.filter(terminal__in=terminals)}
    for terminal in terminals:
        cap = caps.get(terminal.pk)
        if cap is None:
            ok = False
            lines.append(f"{terminal.name}：尚未报告终端能力")
            continue
        lacking = [label for name, label in CAPABILITIES if not getattr(cap, name)]
        if lacking:
            ok = False
            lines.append(f"{terminal.name}：不支持{'、'.join(lacking)}")
        else:
            lines.append(f"{terminal.name}：支持{'、'.join(label for _n, label in CAPABILITIES)}")
    for kind, label in ((TerminalTestKind.RECEIPT, "测试小票打印"), (TerminalTestKind.IDENTIFICATION, "测试身份识别")):
        done = (TerminalTest.objects.filter(terminal__in=terminals, kind=kind, passed=True)
                .select_related("terminal").first())
        if done is None:
            ok = False
            lines.append(f"尚未完成{label}")
        else:
            lines.append(f"{done.terminal.name} {_local(done.at)} 完成{label}")
    return CheckOutcome(CheckResult.PASSED if ok else CheckResult.FAILED, lines)
