"""Run scenario files (``zhucan policy test``) in the format of policy-scenarios.md.

A case is one elder, a default canteen and meals evaluated in order, each seeing the day usage the
earlier meals left (across canteens; reset at local midnight). Each meal prints one line (``ok`` or
what differed, with the engine's explanation); the run ends with ``N passed, M failed``.

Extensions to the shared format (all optional): ``overlays: [xihu]`` on a case; ``status``,
``status_since``, ``verified``, ``hukou_district`` on the elder; ``canteen.periods`` on a meal's
canteen; ``expect.reason`` (a reason code), ``expect.period`` (period name or null),
``expect.explanation_contains`` and ``expect.error`` (the field an input error must name);
``delivery: true`` on a meal (delivered: the delivery fee and subsidy of the policy and its
overlays apply) with ``expect.delivery_fee`` and ``expect.delivery_subsidy``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .engine import REASON_CODES, delivery_terms, evaluate
from .errors import InputError, PolicyError
from .facts import AnnouncedPeriod, CanteenFacts, ElderFacts
from .loader import load_policy, read_yaml
from .model import Policy
from .money import format_fen, parse_yuan
from .schema import iso_date
from .usage import DayUsage

_AT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")
_HHMM_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ScenarioError(PolicyError):
    """A scenario file or case is malformed; names the file, the case and the field."""

    code = "SCENARIO_INVALID"

    def __init__(self, file: str, case: str, field: str, reason: str) -> None:
        self.file, self.case, self.field, self.reason = file, case, field, reason
        where = f"{file}: case {case}" if case else file
        super().__init__(f"{where}: {field}: {reason}" if field else f"{where}: {reason}")


@dataclass
class Expect:
    benefit_fen: int | None = None
    payable_fen: int | None = None
    funders: dict[str, int] | None = None
    reason: str | None = None
    has_reason: bool = False
    period: str | None = None
    has_period: bool = False
    explanation_contains: list[str] = field(default_factory=list)
    error_field: str | None = None
    delivery_fee_fen: int | None = None
    delivery_subsidy_fen: int | None = None


@dataclass
class Meal:
    at_text: str
    at: datetime
    amount_fen: int
    canteen: CanteenFacts
    expect: Expect
    delivery: bool = False


@dataclass
class Case:
    name: str
    policy: str
    overlays: tuple[str, ...]
    elder: ElderFacts
    meals: list[Meal]


class _Reader:
    def __init__(self, file: str, case: str) -> None:
        self.file, self.case = file, case

    def fail(self, fld: str, reason: str) -> ScenarioError:
        return ScenarioError(self.file, self.case, fld, reason)

    def obj(self, value: Any, fld: str, allowed: set[str], required: set[str] = frozenset()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(fld, f"expected a mapping, got {type(value).__name__}")
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise self.fail(fld, f"unknown key(s) {', '.join(unknown)}")
        for key in sorted(required):
            if key not in value:
                raise self.fail(f"{fld}.{key}" if fld else key, "missing")
        return value

    def text(self, value: Any, fld: str) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
            raise self.fail(fld, f"expected text, got {value!r}")
        return str(value).strip()

    def day(self, value: Any, fld: str) -> date:
        if isinstance(value, datetime):
            raise self.fail(fld, f"expected a date, got a date-time {value!r}")
        parsed = iso_date(value)
        if parsed is None:
            raise self.fail(fld, f"not a valid date (YYYY-MM-DD): {value!r}")
        return parsed

    def yuan(self, value: Any, fld: str) -> int:
        try:
            return parse_yuan(value, fld)
        except InputError as exc:
            raise self.fail(fld, exc.reason) from None

    def canteen(self, value: Any, fld: str) -> CanteenFacts:
        c = self.obj(value, fld, {"district", "area", "periods", "name", "designated"}, {"district"})
        periods = None
        if c.get("periods") is not None:
            if not isinstance(c["periods"], list):
                raise self.fail(f"{fld}.periods", "expected a list of {name, start, end}")
            items = []
            for i, p in enumerate(c["periods"]):
                pf = f"{fld}.periods[{i}]"
                p = self.obj(p, pf, {"name", "start", "end"}, {"name", "start", "end"})
                times = []
                for key in ("start", "end"):
                    raw = p[key]
                    if isinstance(raw, int) and not isinstance(raw, bool):
                        raw = f"{raw // 60:02d}:{raw % 60:02d}"
                    if not isinstance(raw, str) or not _HHMM_RE.match(raw.strip()):
                        raise self.fail(f"{pf}.{key}", f"expected \"HH:MM\", got {p[key]!r}")
                    times.append(datetime.strptime(raw.strip(), "%H:%M").time())
                if times[1] < times[0]:
                    raise self.fail(pf, "end is before start")
                items.append(AnnouncedPeriod(self.text(p["name"], f"{pf}.name"), times[0], times[1]))
            periods = tuple(items)
        area = c.get("area")
        if area is not None and area not in ("urban", "rural"):
            raise self.fail(f"{fld}.area", f"expected urban or rural, got {area!r}")
        designated = c.get("designated", True)
        if not isinstance(designated, bool):
            raise self.fail(f"{fld}.designated", f"expected true or false, got {designated!r}")
        return CanteenFacts(self.text(c["district"], f"{fld}.district"), area, periods, designated)


def _parse_case(raw: Any, index: int, file: str, tz: ZoneInfo) -> Case:
    label = f"#{index + 1}"
    if isinstance(raw, dict) and isinstance(raw.get("name"), str):
        label = f"#{index + 1} {raw['name']!r}"
    r = _Reader(file, label)
    c = r.obj(raw, "", {"name", "policy", "overlays", "elder", "canteen", "meals"},
              {"name", "policy", "elder", "canteen", "meals"})
    name = r.text(c["name"], "name")
    policy = r.text(c["policy"], "policy")
    overlays = c.get("overlays") or []
    if not isinstance(overlays, list):
        raise r.fail("overlays", "expected a list of overlay ids")
    e = r.obj(c["elder"], "elder", {"birth_date", "tags", "hukou_district", "status", "status_since", "verified"},
              {"birth_date"})
    tags = e.get("tags") or []
    if not isinstance(tags, list):
        raise r.fail("elder.tags", "expected a list")
    status = e.get("status", "active")
    since = None if e.get("status_since") is None else r.day(e["status_since"], "elder.status_since")
    verified = e.get("verified", True)
    if not isinstance(verified, bool):
        raise r.fail("elder.verified", f"expected true or false, got {verified!r}")
    try:
        elder = ElderFacts(r.day(e["birth_date"], "elder.birth_date"),
                           frozenset(r.text(t, f"elder.tags[{i}]") for i, t in enumerate(tags)),
                           None if e.get("hukou_district") is None
                           else r.text(e["hukou_district"], "elder.hukou_district"),
                           str(status), since, verified)
    except InputError as exc:
        raise r.fail(exc.field, exc.reason) from None
    default_canteen = r.canteen(c["canteen"], "canteen")
    meals_raw = c["meals"]
    if not isinstance(meals_raw, list) or not meals_raw:
        raise r.fail("meals", "expected a non-empty list")
    meals = []
    for i, m in enumerate(meals_raw):
        mf = f"meals[{i}]"
        m = r.obj(m, mf, {"at", "amount", "canteen", "expect", "delivery"}, {"at", "amount", "expect"})
        delivery = m.get("delivery", False)
        if not isinstance(delivery, bool):
            raise r.fail(f"{mf}.delivery", f"expected true or false, got {delivery!r}")
        at_raw = m["at"]
        if isinstance(at_raw, datetime):
            at = at_raw if at_raw.tzinfo else at_raw.replace(tzinfo=tz)
            at_text = at_raw.isoformat(sep=" ")
        else:
            at_text = r.text(at_raw, f"{mf}.at")
            try:
                parsed = datetime.fromisoformat(at_text)
            except ValueError:
                raise r.fail(f"{mf}.at", f"not a local date-time \"YYYY-MM-DD HH:MM\": {at_text!r}") from None
            if parsed.tzinfo is None and not _AT_RE.match(at_text):
                raise r.fail(f"{mf}.at", f"not a local date-time \"YYYY-MM-DD HH:MM\": {at_text!r}")
            at = parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
        amount = r.yuan(m["amount"], f"{mf}.amount")
        canteen = default_canteen if m.get("canteen") is None else r.canteen(m["canteen"], f"{mf}.canteen")
        x = r.obj(m["expect"], f"{mf}.expect",
                  {"benefit", "payable", "funders", "reason", "period", "explanation_contains", "error",
                   "delivery_fee", "delivery_subsidy"})
        exp = Expect()
        if "error" in x:
            exp.error_field = r.text(x["error"], f"{mf}.expect.error")
        elif not {"benefit", "payable", "delivery_fee", "delivery_subsidy"} & set(x):
            raise r.fail(f"{mf}.expect", "needs benefit or payable (or error)")
        if "benefit" in x:
            exp.benefit_fen = r.yuan(x["benefit"], f"{mf}.expect.benefit")
        if "payable" in x:
            exp.payable_fen = r.yuan(x["payable"], f"{mf}.expect.payable")
        if x.get("funders") is not None:
            f = x["funders"]
            if not isinstance(f, dict):
                raise r.fail(f"{mf}.expect.funders", "expected a mapping funder -> yuan")
            exp.funders = {str(k): r.yuan(v, f"{mf}.expect.funders.{k}") for k, v in f.items()}
        if "reason" in x:
            exp.has_reason = True
            exp.reason = None if x["reason"] is None else r.text(x["reason"], f"{mf}.expect.reason")
            if exp.reason is not None and exp.reason not in REASON_CODES:
                raise r.fail(f"{mf}.expect.reason", f"unknown reason code {exp.reason!r}")
        if "period" in x:
            exp.has_period = True
            exp.period = None if x["period"] is None else r.text(x["period"], f"{mf}.expect.period")
        for key in ("delivery_fee", "delivery_subsidy"):
            if key in x:
                if not delivery:
                    raise r.fail(f"{mf}.expect.{key}", "only for a delivered meal (delivery: true)")
                setattr(exp, f"{key}_fen", r.yuan(x[key], f"{mf}.expect.{key}"))
        contains = x.get("explanation_contains") or []
        if isinstance(contains, str):
            contains = [contains]
        exp.explanation_contains = [str(s) for s in contains]
        meals.append(Meal(at_text, at, amount, canteen, exp, delivery))
    return Case(name, policy, tuple(str(o) for o in overlays), elder, meals)


@dataclass
class RunResult:
    passed: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)


def run_files(paths: list[str], *, policy_dir: str | os.PathLike[str] | None = None,
              emit: Callable[[str], None] | None = None) -> RunResult:
    """Run every case of every file; ``emit`` receives each output line as it is produced."""
    result = RunResult()
    cache: dict[tuple[str, tuple[str, ...]], Policy | PolicyError] = {}

    def out(line: str) -> None:
        result.lines.append(line)
        if emit is not None:
            emit(line)

    for path in paths:
        file = str(path)
        try:
            doc = read_yaml(Path(path))
        except PolicyError as exc:
            out(f"ERROR {exc}")
            result.failed += 1
            continue
        if not isinstance(doc, list):
            out(f"ERROR {file}: expected a list of cases, got {type(doc).__name__}")
            result.failed += 1
            continue
        for index, raw in enumerate(doc):
            try:
                case = _parse_case(raw, index, file, ZoneInfo("Asia/Shanghai"))
            except ScenarioError as exc:
                out(f"ERROR {exc}")
                result.failed += 1
                continue
            name = case.policy
            if name.endswith((".yaml", ".yml")) and not Path(name).is_absolute():
                # A policy file named by path is found beside the scenario file, wherever it is run from.
                name = str(Path(file).parent / name)
            key = (name, case.overlays)
            if key not in cache:
                try:
                    cache[key] = load_policy(name, policy_dir=policy_dir, overlays=case.overlays)
                except PolicyError as exc:
                    cache[key] = exc
            policy = cache[key]
            if isinstance(policy, PolicyError):
                out(f"ERROR {file}: case #{index + 1} {case.name!r}: policy: {policy}")
                result.failed += 1
                continue
            _run_case(case, policy, file, result, out)
    out(f"{result.passed} passed, {result.failed} failed")
    return result


def _run_case(case: Case, policy: Policy, file: str, result: RunResult, out: Callable[[str], None]) -> None:
    usage: DayUsage | None = None
    for i, meal in enumerate(case.meals):
        label = f"{case.name} · meal {i + 1} ({meal.at_text})"
        exp = meal.expect
        try:
            at_local = meal.at.astimezone(ZoneInfo(policy.timezone))
            if usage is not None and usage.date != at_local.date():
                usage = None  # counters reset at local midnight
            quote = evaluate(policy, case.elder, meal.canteen, meal.at, amount_fen=meal.amount_fen, usage=usage)
        except InputError as exc:
            if exp.error_field is not None and exc.field == exp.error_field:
                out(f"ok   {label}: error as expected — {exc}")
                result.passed += 1
            else:
                out(f"FAIL {file}: {label}: {exc}")
                result.failed += 1
            continue
        except PolicyError as exc:
            out(f"FAIL {file}: {label}: {exc}")
            result.failed += 1
            continue
        usage = quote.usage_after
        diffs = []
        explanation = quote.explanation_zh
        if meal.delivery:
            terms = delivery_terms(policy, case.elder, meal.canteen, meal.at, usage=usage)
            usage = usage.apply(terms.usage_delta)
            if terms.explanation_zh:
                explanation = f"{explanation}；{terms.explanation_zh}"
            if exp.delivery_fee_fen is not None and exp.delivery_fee_fen != terms.fee_fen:
                diffs.append(f"delivery fee expected {format_fen(exp.delivery_fee_fen)}, "
                             f"got {format_fen(terms.fee_fen)}")
            if exp.delivery_subsidy_fen is not None and exp.delivery_subsidy_fen != terms.subsidy_fen:
                diffs.append(f"delivery subsidy expected {format_fen(exp.delivery_subsidy_fen)}, "
                             f"got {format_fen(terms.subsidy_fen)}")
        if exp.error_field is not None:
            diffs.append(f"expected an error on {exp.error_field}, got a quote")
        if exp.benefit_fen is not None and exp.benefit_fen != quote.benefit_fen:
            diffs.append(f"benefit expected {format_fen(exp.benefit_fen)}, got {format_fen(quote.benefit_fen)}")
        if exp.payable_fen is not None and exp.payable_fen != quote.payable_fen:
            diffs.append(f"payable expected {format_fen(exp.payable_fen)}, got {format_fen(quote.payable_fen)}")
        if exp.funders is not None:
            got = {k: v for k, v in quote.funders.items() if v}
            want = {k: v for k, v in exp.funders.items() if v}
            if got != want:
                fmt = lambda d: "{" + ", ".join(f"{k}: {format_fen(v)}" for k, v in sorted(d.items())) + "}"  # noqa: E731
                diffs.append(f"funders expected {fmt(want)}, got {fmt(got)}")
        if exp.has_reason and exp.reason != quote.reason_code:
            diffs.append(f"reason expected {exp.reason}, got {quote.reason_code}")
        if exp.has_period and exp.period != quote.period_name:
            diffs.append(f"period expected {exp.period}, got {quote.period_name}")
        for fragment in exp.explanation_contains:
            if fragment not in explanation:
                diffs.append(f"explanation lacks {fragment!r}")
        if diffs:
            out(f"FAIL {file}: {label}: {'; '.join(diffs)} — {explanation}")
            result.failed += 1
        else:
            out(f"ok   {label}: benefit {format_fen(quote.benefit_fen)} payable {format_fen(quote.payable_fen)}"
                f" — {explanation}")
            result.passed += 1
