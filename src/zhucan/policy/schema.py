"""Validate a policy / overlay document (already parsed from YAML) and compile it.

Every error is a :class:`PolicyLoadError` naming the file, the path inside the document
(``versions[0].layers[0].rules[0].bands[1]``) and the reason. Checked: unknown keys, types, dates,
time formats, negative or over-precise amounts, rates above 1, overlapping or gapped age bands,
unknown funders, duplicate ids, overlapping periods, versions out of order.
"""

from __future__ import annotations

import re
from datetime import date, time
from itertools import pairwise
from typing import Any

from .errors import InputError, PolicyLoadError
from .model import (
    ANNOUNCED_HOURS,
    ANNOUNCED_INTERSECT,
    MAX_AGE,
    SPLIT_IN_ORDER,
    SPLITS,
    Band,
    ConstructionSubsidy,
    DeliverySubsidy,
    DeliveryTerm,
    Eligibility,
    Funder,
    FundLine,
    Layer,
    Limits,
    MealPeriod,
    Overlay,
    Policy,
    RewardTier,
    Rule,
    Version,
)
from .money import parse_rate, parse_yuan

_ID_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_HHMM_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
CANTEEN_TYPES = ("community_new_build", "upgrade", "enterprise_branded")
AREAS = ("urban", "rural")


class _Ctx:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, reason: str) -> PolicyLoadError:
        return PolicyLoadError(self.file, path, reason)


def _obj(ctx: _Ctx, value: Any, path: str, allowed: set[str], required: set[str] = frozenset()) -> dict:
    if not isinstance(value, dict):
        raise ctx.fail(path, f"expected a mapping, got {type(value).__name__}")
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise ctx.fail(path, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    missing = sorted(k for k in required if k not in value)
    if missing:
        raise ctx.fail(path, f"missing required key(s) {', '.join(missing)}")
    return value


def _list(ctx: _Ctx, value: Any, path: str, *, allow_empty: bool = True) -> list:
    if value is None:
        value = []
    if not isinstance(value, list):
        raise ctx.fail(path, f"expected a list, got {type(value).__name__}")
    if not value and not allow_empty:
        raise ctx.fail(path, "must not be empty")
    return value


def _str(ctx: _Ctx, value: Any, path: str, *, ident: bool = False) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ctx.fail(path, f"expected text, got {value!r}")
    text = str(value).strip()
    if not text:
        raise ctx.fail(path, "must not be empty")
    if ident and not _ID_RE.match(text):
        raise ctx.fail(path, f"invalid id {text!r} (letters, digits, _ . - only)")
    return text


def _int(ctx: _Ctx, value: Any, path: str, *, lo: int = 0, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.fail(path, f"expected an integer, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f">= {lo}"
        raise ctx.fail(path, f"{value} out of range (must be {bound})")
    return value


def _bool(ctx: _Ctx, value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ctx.fail(path, f"expected true or false, got {value!r}")
    return value


def iso_date(value: Any) -> date | None:
    """A date from YAML (already a date) or from 'YYYY-MM-DD' text; None when it is neither."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _date(ctx: _Ctx, value: Any, path: str) -> date:
    parsed = iso_date(value)
    if parsed is None:
        raise ctx.fail(path, f"not a valid date (YYYY-MM-DD): {value!r}")
    return parsed


def _hhmm(ctx: _Ctx, value: Any, path: str) -> time:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 06:30 as the sexagesimal integer 390.
        value = f"{value // 60:02d}:{value % 60:02d}"
    if not isinstance(value, str) or not _HHMM_RE.match(value.strip()):
        raise ctx.fail(path, f"expected a time \"HH:MM\", got {value!r}")
    h, m = value.strip().split(":")
    return time(int(h), int(m))


def _yuan(ctx: _Ctx, value: Any, path: str) -> int:
    try:
        return parse_yuan(value, path)
    except InputError as exc:
        raise ctx.fail(path, exc.reason) from None


def _rate(ctx: _Ctx, value: Any, path: str) -> int:
    try:
        return parse_rate(value, path)
    except InputError as exc:
        raise ctx.fail(path, exc.reason) from None


def _tags(ctx: _Ctx, value: Any, path: str) -> frozenset[str]:
    return frozenset(_str(ctx, t, f"{path}[{i}]") for i, t in enumerate(_list(ctx, value, path)))


def _opt_set(ctx: _Ctx, value: Any, path: str) -> frozenset[str] | None:
    if value is None:
        return None
    items = _list(ctx, value, path)
    return frozenset(_str(ctx, t, f"{path}[{i}]") for i, t in enumerate(items)) if items else None


def _funders(ctx: _Ctx, raw: Any, path: str) -> dict[str, Funder]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ctx.fail(path, "expected a mapping of funder id -> {name_zh, name_en}")
    out = {}
    for key, spec in raw.items():
        fid = _str(ctx, key, f"{path}.{key}", ident=True)
        spec = _obj(ctx, spec, f"{path}.{key}", {"name_zh", "name_en"}, {"name_zh"})
        out[fid] = Funder(fid, _str(ctx, spec["name_zh"], f"{path}.{key}.name_zh"),
                          str(spec.get("name_en", fid)))
    return out


def _choice(ctx: _Ctx, value: Any, path: str, choices: tuple[str, ...]) -> str:
    text = _str(ctx, value, path)
    if text not in choices:
        raise ctx.fail(path, f"unknown value {text!r}; expected {' or '.join(choices)}")
    return text


def _periods(ctx: _Ctx, raw: Any, path: str) -> tuple[tuple[MealPeriod, ...], str]:
    """The standard periods and how a canteen's announced hours apply to them (HZ-7)."""
    if raw is None:
        return (), ANNOUNCED_INTERSECT
    spec = _obj(ctx, raw, path, {"ref", "announced_hours", "periods"}, {"ref", "periods"})
    _str(ctx, spec["ref"], f"{path}.ref")
    announced = _choice(ctx, spec.get("announced_hours", ANNOUNCED_INTERSECT), f"{path}.announced_hours",
                        ANNOUNCED_HOURS)
    out: list[MealPeriod] = []
    seen: set[str] = set()
    for i, p in enumerate(_list(ctx, spec["periods"], f"{path}.periods")):
        pp = f"{path}.periods[{i}]"
        p = _obj(ctx, p, pp, {"name", "name_zh", "name_en", "start", "end"}, {"name", "name_zh", "start", "end"})
        name = _str(ctx, p["name"], f"{pp}.name", ident=True)
        if name in seen:
            raise ctx.fail(f"{pp}.name", f"duplicate period {name!r}")
        seen.add(name)
        start, end = _hhmm(ctx, p["start"], f"{pp}.start"), _hhmm(ctx, p["end"], f"{pp}.end")
        if end < start:
            raise ctx.fail(pp, f"end {end:%H:%M} is before start {start:%H:%M}")
        out.append(MealPeriod(name, _str(ctx, p["name_zh"], f"{pp}.name_zh"), str(p.get("name_en", name)),
                              start.hour * 60 + start.minute, end.hour * 60 + end.minute))
    out.sort(key=lambda mp: mp.start_min)
    for a, b in pairwise(out):
        if b.start_min <= a.end_min:
            raise ctx.fail(f"{path}.periods", f"periods {a.name!r} and {b.name!r} overlap")
    return tuple(out), announced


def _bands(ctx: _Ctx, raw: Any, path: str, kind: str, ref: str) -> tuple[Band, ...]:
    items = _list(ctx, raw, path, allow_empty=False)
    value_key = "discount" if kind == "percent" else "amount"
    bands: list[Band] = []
    for i, b in enumerate(items):
        bp = f"{path}[{i}]"
        b = _obj(ctx, b, bp, {"min_age", "max_age", value_key, "label_zh", "label_en", "ref"}, {"min_age", value_key})
        lo = _int(ctx, b["min_age"], f"{bp}.min_age", hi=MAX_AGE)
        hi = None if b.get("max_age") is None else _int(ctx, b["max_age"], f"{bp}.max_age", hi=MAX_AGE)
        if hi is not None and hi < lo:
            raise ctx.fail(bp, f"max_age {hi} is below min_age {lo}")
        if kind == "percent":
            value = _rate(ctx, b[value_key], f"{bp}.{value_key}")
        else:
            value = _yuan(ctx, b[value_key], f"{bp}.{value_key}")
        bands.append(Band(lo, hi, value, str(b.get("label_zh", "")), str(b.get("label_en", "")),
                          str(b.get("ref", ref))))
    for i, (a, b) in enumerate(pairwise(bands)):
        if a.max_age is None:
            raise ctx.fail(f"{path}[{i}]", f"open-ended band (from {a.min_age}) must be the last")
        if b.min_age <= a.max_age:
            raise ctx.fail(f"{path}[{i + 1}]", f"age band {b.min_age}- overlaps the band {a.min_age}-{a.max_age}")
        if b.min_age > a.max_age + 1:
            raise ctx.fail(f"{path}[{i + 1}]",
                           f"gap in age bands: no band covers ages {a.max_age + 1}-{b.min_age - 1}")
    return tuple(bands)


def _eligibility(ctx: _Ctx, raw: Any, path: str) -> Eligibility:
    keys = {"ref", "min_age", "max_age", "required_tags_any", "excluded_tags", "hukou_districts",
            "canteen_districts", "areas", "require_verified"}
    e = _obj(ctx, raw, path, keys, {"ref", "min_age"})
    areas = _opt_set(ctx, e.get("areas"), f"{path}.areas")
    if areas and not areas <= set(AREAS):
        raise ctx.fail(f"{path}.areas", f"unknown area(s) {sorted(areas - set(AREAS))}; expected urban, rural")
    max_age = None if e.get("max_age") is None else _int(ctx, e["max_age"], f"{path}.max_age", hi=MAX_AGE)
    return Eligibility(
        min_age=_int(ctx, e["min_age"], f"{path}.min_age", hi=MAX_AGE),
        max_age=max_age,
        required_tags_any=_tags(ctx, e.get("required_tags_any"), f"{path}.required_tags_any"),
        excluded_tags=_tags(ctx, e.get("excluded_tags"), f"{path}.excluded_tags"),
        hukou_districts=_opt_set(ctx, e.get("hukou_districts"), f"{path}.hukou_districts"),
        canteen_districts=_opt_set(ctx, e.get("canteen_districts"), f"{path}.canteen_districts"),
        areas=areas,
        require_verified=_bool(ctx, e.get("require_verified", False), f"{path}.require_verified"),
        ref=_str(ctx, e["ref"], f"{path}.ref"),
    )


def _limits(ctx: _Ctx, raw: Any, path: str, has_periods: bool) -> Limits:
    keys = {"ref", "per_period", "per_day", "daily_cap", "require_period"}
    raw = _obj(ctx, raw if raw is not None else {"ref": "-"}, path, keys, {"ref"})
    per_period = None if raw.get("per_period") is None else _int(ctx, raw["per_period"], f"{path}.per_period", lo=1)
    require_period = _bool(ctx, raw.get("require_period", False), f"{path}.require_period")
    if (per_period is not None or require_period) and not has_periods:
        raise ctx.fail(path, "per_period / require_period need meal_periods in the version")
    return Limits(
        per_period=per_period,
        per_day=None if raw.get("per_day") is None else _int(ctx, raw["per_day"], f"{path}.per_day", lo=1),
        daily_cap_fen=None if raw.get("daily_cap") is None else _yuan(ctx, raw["daily_cap"], f"{path}.daily_cap"),
        require_period=require_period,
        ref=_str(ctx, raw["ref"], f"{path}.ref"),
    )


def _layers(ctx: _Ctx, raw: Any, path: str, funders: dict[str, Funder], origin: str,
            has_periods: bool, seen_ids: set[str]) -> tuple[Layer, ...]:
    out = []
    for i, lr in enumerate(_list(ctx, raw, path, allow_empty=False)):
        lp = f"{path}[{i}]"
        lr = _obj(ctx, lr, lp, {"id", "name_zh", "name_en", "eligibility", "rules", "limits", "split_when_short"},
                  {"id", "name_zh", "eligibility", "rules"})
        lid = _str(ctx, lr["id"], f"{lp}.id", ident=True)
        if lid in seen_ids:
            raise ctx.fail(f"{lp}.id", f"duplicate layer id {lid!r}")
        seen_ids.add(lid)
        elig = _eligibility(ctx, lr["eligibility"], f"{lp}.eligibility")
        rules = []
        rule_ids: set[str] = set()
        for j, rr in enumerate(_list(ctx, lr["rules"], f"{lp}.rules", allow_empty=False)):
            rp = f"{lp}.rules[{j}]"
            rr = _obj(ctx, rr, rp, {"id", "kind", "funder", "name_zh", "ref", "bands"},
                      {"id", "kind", "funder", "ref", "bands"})
            rid = _str(ctx, rr["id"], f"{rp}.id", ident=True)
            if rid in rule_ids:
                raise ctx.fail(f"{rp}.id", f"duplicate rule id {rid!r}")
            rule_ids.add(rid)
            kind = _str(ctx, rr["kind"], f"{rp}.kind")
            if kind not in ("percent", "fixed"):
                raise ctx.fail(f"{rp}.kind", f"unknown kind {kind!r}; expected percent or fixed")
            funder = _str(ctx, rr["funder"], f"{rp}.funder")
            if funder not in funders:
                raise ctx.fail(f"{rp}.funder", f"unknown funder {funder!r}; declared: {', '.join(sorted(funders))}")
            ref = _str(ctx, rr["ref"], f"{rp}.ref")
            bands = _bands(ctx, rr["bands"], f"{rp}.bands", kind, ref)
            if bands[0].min_age != elig.min_age:
                raise ctx.fail(f"{rp}.bands[0].min_age",
                               f"gap in age bands: eligibility starts at {elig.min_age} but the first band at "
                               f"{bands[0].min_age}")
            rules.append(Rule(rid, kind, funder, str(rr.get("name_zh", rid)), ref, bands))
        limits = _limits(ctx, lr.get("limits"), f"{lp}.limits", has_periods)
        rules_t = tuple(rules)
        split = _choice(ctx, lr.get("split_when_short", SPLIT_IN_ORDER), f"{lp}.split_when_short", SPLITS)
        out.append(Layer(lid, _str(ctx, lr["name_zh"], f"{lp}.name_zh"), str(lr.get("name_en", lid)), origin,
                         elig, rules_t, limits, Layer.build_age_table(elig, rules_t), split_when_short=split))
    return tuple(out)


def _fund_lines(ctx: _Ctx, raw: Any, path: str, funders: dict[str, Funder], ref: str) -> tuple[FundLine, ...]:
    if not isinstance(raw, dict) or not raw:
        raise ctx.fail(path, "expected a mapping of funder -> yuan amount")
    lines = []
    for fid, amount in raw.items():
        if fid not in funders:
            raise ctx.fail(f"{path}.{fid}", f"unknown funder {fid!r}; declared: {', '.join(sorted(funders))}")
        lines.append(FundLine(str(fid), _yuan(ctx, amount, f"{path}.{fid}"), ref))
    return tuple(lines)


def _construction(ctx: _Ctx, raw: Any, path: str, funders: dict[str, Funder]) -> dict[str, ConstructionSubsidy]:
    if raw is None:
        return {}
    spec = _obj(ctx, raw, path, {"ref", "types"}, {"ref", "types"})
    ref = _str(ctx, spec["ref"], f"{path}.ref")
    types = spec["types"]
    if not isinstance(types, dict):
        raise ctx.fail(f"{path}.types", "expected a mapping of canteen type -> {name_zh, lines}")
    out = {}
    for key, t in types.items():
        tp = f"{path}.types.{key}"
        if key not in CANTEEN_TYPES:
            raise ctx.fail(tp, f"unknown canteen type {key!r}; expected one of {', '.join(CANTEEN_TYPES)}")
        t = _obj(ctx, t, tp, {"name_zh", "lines", "ref"}, {"name_zh", "lines"})
        tref = str(t.get("ref", ref))
        out[key] = ConstructionSubsidy(key, _str(ctx, t["name_zh"], f"{tp}.name_zh"),
                                       _fund_lines(ctx, t["lines"], f"{tp}.lines", funders, tref))
    return out


def _rewards(ctx: _Ctx, raw: Any, path: str, funders: dict[str, Funder]) -> tuple[dict, str]:
    if raw is None:
        return {}, ""
    spec = _obj(ctx, raw, path, {"ref", "conditions_zh", "tiers"}, {"ref", "tiers"})
    ref = _str(ctx, spec["ref"], f"{path}.ref")
    tiers_raw = spec["tiers"]
    if not isinstance(tiers_raw, dict):
        raise ctx.fail(f"{path}.tiers", "expected a mapping of area -> list of tiers")
    out = {}
    for area, tiers in tiers_raw.items():
        ap = f"{path}.tiers.{area}"
        if area not in AREAS:
            raise ctx.fail(ap, f"unknown area {area!r}; expected urban or rural")
        built = []
        for i, t in enumerate(_list(ctx, tiers, ap, allow_empty=False)):
            tp = f"{ap}[{i}]"
            t = _obj(ctx, t, tp, {"min_meals", "lines"}, {"min_meals", "lines"})
            n = _int(ctx, t["min_meals"], f"{tp}.min_meals", lo=1)
            if built and n <= built[-1].min_meals:
                raise ctx.fail(f"{tp}.min_meals", "tiers must have increasing min_meals")
            built.append(RewardTier(n, _fund_lines(ctx, t["lines"], f"{tp}.lines", funders, ref)))
        out[area] = tuple(built)
    return out, str(spec.get("conditions_zh", ""))


def _delivery(ctx: _Ctx, raw: Any, path: str, funders: dict[str, Funder], origin: str,
              district: str | None) -> tuple[DeliveryTerm, ...]:
    """Delivery fee and delivery subsidies (issue 17): effective-dated terms, each with a legal
    reference, an optional fee and subsidies by age band and tags, each paid by a declared funder."""
    out: list[DeliveryTerm] = []
    seen: set[str] = set()
    for i, tr in enumerate(_list(ctx, raw, path)):
        tp = f"{path}[{i}]"
        tr = _obj(ctx, tr, tp, {"id", "effective_from", "effective_to", "ref", "fee", "subsidies"},
                  {"id", "effective_from", "ref"})
        tid = _str(ctx, tr["id"], f"{tp}.id", ident=True)
        if tid in seen:
            raise ctx.fail(f"{tp}.id", f"duplicate delivery id {tid!r}")
        seen.add(tid)
        start = _date(ctx, tr["effective_from"], f"{tp}.effective_from")
        end = None if tr.get("effective_to") is None else _date(ctx, tr["effective_to"], f"{tp}.effective_to")
        if end is not None and end < start:
            raise ctx.fail(f"{tp}.effective_to", f"{end} is before effective_from {start}")
        ref = _str(ctx, tr["ref"], f"{tp}.ref")
        fee = None if tr.get("fee") is None else _yuan(ctx, tr["fee"], f"{tp}.fee")
        subsidies = []
        sub_ids: set[str] = set()
        for j, sr in enumerate(_list(ctx, tr.get("subsidies"), f"{tp}.subsidies")):
            sp = f"{tp}.subsidies[{j}]"
            sr = _obj(ctx, sr, sp, {"id", "funder", "name_zh", "ref", "bands", "required_tags_any", "excluded_tags"},
                      {"id", "funder", "bands"})
            sid = _str(ctx, sr["id"], f"{sp}.id", ident=True)
            if sid in sub_ids:
                raise ctx.fail(f"{sp}.id", f"duplicate subsidy id {sid!r}")
            sub_ids.add(sid)
            funder = _str(ctx, sr["funder"], f"{sp}.funder")
            if funder not in funders:
                raise ctx.fail(f"{sp}.funder", f"unknown funder {funder!r}; declared: {', '.join(sorted(funders))}")
            sref = str(sr.get("ref", ref))
            subsidies.append(DeliverySubsidy(
                sid, funder, str(sr.get("name_zh", sid)), _bands(ctx, sr["bands"], f"{sp}.bands", "fixed", sref),
                _tags(ctx, sr.get("required_tags_any"), f"{sp}.required_tags_any"),
                _tags(ctx, sr.get("excluded_tags"), f"{sp}.excluded_tags"), sref))
        if fee is None and not subsidies:
            raise ctx.fail(tp, "a delivery term sets a fee, subsidies or both")
        out.append(DeliveryTerm(tid, origin, district, start, end, ref, fee, tuple(subsidies)))
    return tuple(out)


def compile_policy(doc: Any, file: str) -> Policy:
    """Validate a policy document and compile it into a :class:`Policy`."""
    ctx = _Ctx(file)
    keys = {"id", "kind", "name_zh", "name_en", "timezone", "sources", "funders", "versions", "delivery"}
    doc = _obj(ctx, doc, "", keys, {"id", "name_zh", "funders", "versions"})
    if doc.get("kind", "policy") != "policy":
        raise ctx.fail("kind", f"expected 'policy', got {doc.get('kind')!r} (overlays are loaded with their city)")
    pid = _str(ctx, doc["id"], "id", ident=True)
    tz = str(doc.get("timezone", "Asia/Shanghai"))
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except Exception:
        raise ctx.fail("timezone", f"unknown time zone {tz!r}") from None
    funders = _funders(ctx, doc["funders"], "funders")
    if not funders:
        raise ctx.fail("funders", "at least one funder must be declared")
    sources = doc.get("sources") or {}
    if not isinstance(sources, dict):
        raise ctx.fail("sources", "expected a mapping of short name -> document title")
    versions: list[Version] = []
    seen_v: set[str] = set()
    for i, vr in enumerate(_list(ctx, doc["versions"], "versions", allow_empty=False)):
        vp = f"versions[{i}]"
        vr = _obj(ctx, vr, vp, {"id", "effective_from", "ref", "notes_zh", "meal_periods", "layers",
                                "construction_subsidy", "operating_reward"},
                  {"id", "effective_from", "ref", "layers"})
        vid = _str(ctx, vr["id"], f"{vp}.id", ident=True)
        if vid in seen_v:
            raise ctx.fail(f"{vp}.id", f"duplicate version id {vid!r}")
        seen_v.add(vid)
        eff = _date(ctx, vr["effective_from"], f"{vp}.effective_from")
        if versions and eff <= versions[-1].effective_from:
            raise ctx.fail(f"{vp}.effective_from",
                           f"{eff} is not after the previous version's {versions[-1].effective_from}")
        periods, announced = _periods(ctx, vr.get("meal_periods"), f"{vp}.meal_periods")
        layers = _layers(ctx, vr["layers"], f"{vp}.layers", funders, pid, bool(periods), set())
        rewards, cond = _rewards(ctx, vr.get("operating_reward"), f"{vp}.operating_reward", funders)
        versions.append(Version(
            id=vid, effective_from=eff, ref=_str(ctx, vr["ref"], f"{vp}.ref"), periods=periods, layers=layers,
            construction=_construction(ctx, vr.get("construction_subsidy"), f"{vp}.construction_subsidy", funders),
            rewards=rewards, reward_conditions_zh=cond, notes_zh=str(vr.get("notes_zh", "")),
            announced_hours=announced,
        ))
    return Policy(pid, _str(ctx, doc["name_zh"], "name_zh"), str(doc.get("name_en", pid)), tz, funders,
                  {str(k): str(v) for k, v in sources.items()}, tuple(versions), file,
                  delivery=_delivery(ctx, doc.get("delivery"), "delivery", funders, pid, None))


def compile_overlay(doc: Any, file: str, base: Policy | None) -> Overlay:
    """Validate an overlay document against the city ``base`` policy (HZ-6) and compile it.

    With ``base`` None only the overlay's own structure is checked (funders must then be declared
    in the overlay itself).
    """
    ctx = _Ctx(file)
    keys = {"id", "kind", "extends", "district", "name_zh", "name_en", "funders", "versions", "delivery"}
    doc = _obj(ctx, doc, "", keys, {"id", "kind", "extends", "district", "name_zh", "versions"})
    if doc["kind"] != "overlay":
        raise ctx.fail("kind", f"expected 'overlay', got {doc['kind']!r}")
    oid = _str(ctx, doc["id"], "id", ident=True)
    extends = _str(ctx, doc["extends"], "extends", ident=True)
    if base is not None and base.id != extends:
        raise ctx.fail("extends", f"overlay extends {extends!r}, not {base.id!r}")
    own = _funders(ctx, doc.get("funders"), "funders")
    funders = dict(base.funders) if base is not None else {}
    for fid, f in own.items():
        if fid in funders and funders[fid].name_zh != f.name_zh:
            raise ctx.fail(f"funders.{fid}", f"funder {fid!r} is already declared by {extends!r} as "
                                             f"{funders[fid].name_zh!r}")
        funders[fid] = f
    taken = {layer.id for v in base.versions for layer in v.layers} if base is not None else set()
    for other in base.overlays if base is not None else ():
        taken |= {layer.id for _, _, layers in other.versions for layer in layers}
    versions = []
    for i, vr in enumerate(_list(ctx, doc["versions"], "versions", allow_empty=False)):
        vp = f"versions[{i}]"
        vr = _obj(ctx, vr, vp, {"id", "effective_from", "ref", "layers"}, {"id", "effective_from", "ref", "layers"})
        vid = _str(ctx, vr["id"], f"{vp}.id", ident=True)
        eff = _date(ctx, vr["effective_from"], f"{vp}.effective_from")
        if versions and eff <= versions[-1][0]:
            raise ctx.fail(f"{vp}.effective_from", f"{eff} is not after the previous version's {versions[-1][0]}")
        _str(ctx, vr["ref"], f"{vp}.ref")
        has_periods = base is None or any(v.periods for v in base.versions)
        layers = _layers(ctx, vr["layers"], f"{vp}.layers", funders, oid, has_periods, set(taken))
        versions.append((eff, vid, layers))
    district = _str(ctx, doc["district"], "district")
    return Overlay(oid, extends, district, _str(ctx, doc["name_zh"], "name_zh"),
                   str(doc.get("name_en", oid)), own, tuple(versions), file,
                   delivery=_delivery(ctx, doc.get("delivery"), "delivery", funders, oid, district))
