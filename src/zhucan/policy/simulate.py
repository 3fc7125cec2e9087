"""Re-rate historical meals under a baseline policy and a reform (``zhucan policy simulate``).

Meals (CSV or Parquet) have the columns ``elder_id, birth_date, tags, canteen_district, at,
amount`` (``tags`` ``;``-separated, ``at`` local time in the policy's time zone, ``amount`` yuan with
at most two decimals); optional ``hukou_district`` and ``area``. Meals are re-rated in each elder's
order within each local day (stable on equal moments), so caps and once-per-period limits bind as
they would have (HZ-3, HZ-4, LC-4).

Two paths give the same answer on every meal (tested):

* ``per-meal``: the engine's :func:`evaluate` on every meal, chaining the day usage;
* ``vector``: NumPy over whole columns, layer by layer — age and band lookups through
  per-version tables, the once-per-period and meals-per-day limits as ranks within runs of the same
  (elder, day[, period]), the daily cap as a clipped cumulative sum within the (elder, day) run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from .engine import evaluate
from .errors import InputError, PolicyError
from .facts import CanteenFacts, ElderFacts
from .loader import load_policy, load_reform
from .model import MAX_AGE, SPLIT_PROPORTIONAL, Policy, Version
from .money import format_fen, parse_yuan
from .usage import DayUsage

REQUIRED_COLUMNS = ("elder_id", "birth_date", "tags", "canteen_district", "at", "amount")
_EPOCH = date(1970, 1, 1)


# --- reading ---------------------------------------------------------------------------------------


def read_meals(path: str | os.PathLike[str]) -> pl.DataFrame:
    """Read a CSV or Parquet file of meals and normalise it (see :func:`normalise_meals`)."""
    p = Path(path)
    if not p.exists():
        raise InputError("meals", f"{p}: file not found")
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            df = pl.read_parquet(p)
        else:
            df = pl.read_csv(p, infer_schema=False)
    except Exception as exc:  # polars raises many kinds; report them as one clear error
        raise InputError("meals", f"{p}: cannot read: {exc}") from None
    return normalise_meals(df, str(p))


def normalise_meals(df: pl.DataFrame, source: str = "meals") -> pl.DataFrame:
    """Check the columns and convert them: ``birth_date`` date, ``at`` naive local datetime,
    ``amount_fen`` int64, ``tags`` string; adds ``row`` (the input order)."""
    has_fen = "amount_fen" in df.columns
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns and not (c == "amount" and has_fen)]
    if missing:
        raise InputError("meals", f"{source}: missing column(s) {', '.join(missing)}")
    df = df.with_row_index("row")
    out = df.select(
        pl.col("row"),
        pl.col("elder_id").cast(pl.Utf8),
        _to_date(df, "birth_date", source),
        pl.col("tags").cast(pl.Utf8).fill_null(""),
        pl.col("canteen_district").cast(pl.Utf8),
        _to_datetime(df, source),
        _to_fen(df, source),
        (pl.col("hukou_district").cast(pl.Utf8) if "hukou_district" in df.columns
         else pl.lit(None, dtype=pl.Utf8).alias("hukou_district")),
        pl.col("area").cast(pl.Utf8) if "area" in df.columns else pl.lit(None, dtype=pl.Utf8).alias("area"),
    )
    for col in ("elder_id", "birth_date", "canteen_district", "at", "amount_fen"):
        nulls = out.filter(pl.col(col).is_null())
        if nulls.height:
            raise InputError(col, f"{source}: row {nulls['row'][0] + 1} has no {col}")
    bad = out.filter(pl.col("birth_date") > pl.col("at").dt.date())
    if bad.height:
        raise InputError("birth_date", f"{source}: row {bad['row'][0] + 1}: birth date after the meal")
    return out


def _to_date(df: pl.DataFrame, col: str, source: str) -> pl.Expr:
    dtype = df.schema[col]
    if dtype == pl.Date:
        return pl.col(col)
    if dtype == pl.Datetime:
        return pl.col(col).dt.date()
    parsed = df.select(pl.col(col).cast(pl.Utf8).str.strip_chars().str.to_date("%Y-%m-%d", strict=False))
    bad = df.filter(parsed.to_series().is_null() & pl.col(col).is_not_null())
    if bad.height:
        raise InputError(col, f"{source}: row {bad['row'][0] + 1}: not a date {bad[col][0]!r}")
    return pl.col(col).cast(pl.Utf8).str.strip_chars().str.to_date("%Y-%m-%d", strict=False).alias(col)


def _to_datetime(df: pl.DataFrame, source: str) -> pl.Expr:
    dtype = df.schema["at"]
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            return pl.col("at").dt.convert_time_zone("Asia/Shanghai").dt.replace_time_zone(None).alias("at")
        return pl.col("at")
    text = pl.col("at").cast(pl.Utf8).str.strip_chars().str.replace("T", " ")
    expr = pl.coalesce(
        text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us"),
        text.str.to_datetime("%Y-%m-%d %H:%M", strict=False, time_unit="us"),
    ).alias("at")
    parsed = df.select(expr).to_series()
    bad = df.filter(parsed.is_null() & pl.col("at").is_not_null())
    if bad.height:
        raise InputError("at", f"{source}: row {bad['row'][0] + 1}: not a local date-time {bad['at'][0]!r}")
    return expr


def _to_fen(df: pl.DataFrame, source: str) -> pl.Expr:
    if "amount_fen" in df.columns:
        return pl.col("amount_fen").cast(pl.Int64)
    dtype = df.schema["amount"]
    if dtype.is_integer():
        neg = df.filter(pl.col("amount") < 0)
        if neg.height:
            raise InputError("amount", f"{source}: row {neg['row'][0] + 1}: negative amount")
        return (pl.col("amount").cast(pl.Int64) * 100).alias("amount_fen")
    if dtype.is_float() or dtype == pl.Decimal:
        values = df["amount"].to_list()
        for i, v in enumerate(values):
            if v is not None:
                try:
                    parse_yuan(v, "amount")
                except InputError as exc:
                    raise InputError("amount", f"{source}: row {i + 1}: {exc.reason}") from None
        return (pl.col("amount").cast(pl.Float64) * 100).round(0).cast(pl.Int64).alias("amount_fen")
    text = pl.col("amount").cast(pl.Utf8).str.strip_chars()
    ok = df.select(text.str.contains(r"^\d+(\.\d{1,2})?$")).to_series()
    bad = df.filter(~ok.fill_null(True))
    if bad.height:
        raw = bad["amount"][0]
        try:
            parse_yuan(raw, "amount")
        except InputError as exc:
            raise InputError("amount", f"{source}: row {bad['row'][0] + 1}: {exc.reason}") from None
    whole = text.str.extract(r"^(\d+)", 1).cast(pl.Int64)
    frac = text.str.extract(r"\.(\d{1,2})$", 1).fill_null("").str.pad_end(2, "0").cast(pl.Int64)
    return (whole * 100 + frac).alias("amount_fen")


# --- rating ----------------------------------------------------------------------------------------


@dataclass
class Rated:
    """Benefits of every meal (in the sorted order of ``meals``)."""

    meals: pl.DataFrame  # sorted by elder, moment (stable)
    benefit_fen: np.ndarray
    by_funder: dict[str, np.ndarray] = field(default_factory=dict)

    def totals(self) -> dict[str, int]:
        return {f: int(a.sum()) for f, a in sorted(self.by_funder.items())}


def sort_meals(meals: pl.DataFrame) -> pl.DataFrame:
    """Each elder's meals together, in time order; equal moments keep the file order.

    Elders are grouped by an integer code (first appearance in the file) rather than by sorting the
    id strings — the order between elders does not matter, only that each elder's meals are
    contiguous and in time order.
    """
    if "elder_code" in meals.columns:
        return meals
    codes = meals["elder_id"].unique(maintain_order=True)
    with_code = meals.with_columns(
        pl.col("elder_id").replace_strict(codes, pl.int_range(0, codes.len(), eager=True), return_dtype=pl.Int64)
        .alias("elder_code"))
    return with_code.sort(["elder_code", "at", "row"])


def rate(policy: Policy, meals: pl.DataFrame, *, engine: str = "vector") -> Rated:
    """Rate normalised meals under ``policy`` with the ``vector`` or ``per-meal`` path.

    ``meals`` may already be sorted by :func:`sort_meals` (then it is not sorted again).
    """
    meals = sort_meals(meals)
    if engine == "per-meal":
        return _rate_per_meal(policy, meals)
    return _rate_vector(policy, meals)


def _rate_per_meal(policy: Policy, meals: pl.DataFrame) -> Rated:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(policy.timezone)
    n = meals.height
    benefit = np.zeros(n, dtype=np.int64)
    by_funder: dict[str, np.ndarray] = {}
    elders: dict[tuple, ElderFacts] = {}
    canteens: dict[tuple, CanteenFacts] = {}
    usage: DayUsage | None = None
    last_key: tuple[str, date] | None = None
    cols = meals.select("elder_id", "birth_date", "tags", "hukou_district", "canteen_district", "area", "at",
                        "amount_fen").iter_rows()
    for i, (eid, birth, tags, hukou, district, area, at, amount) in enumerate(cols):
        ek = (birth, tags, hukou)
        elder = elders.get(ek)
        if elder is None:
            elder = elders[ek] = ElderFacts(birth, frozenset(t for t in tags.split(";") if t), hukou)
        ck = (district, area)
        canteen = canteens.get(ck)
        if canteen is None:
            canteen = canteens[ck] = CanteenFacts(district, area)
        key = (eid, at.date())
        if key != last_key:
            usage, last_key = None, key
        q = evaluate(policy, elder, canteen, at.replace(tzinfo=tz), amount_fen=amount, usage=usage)
        usage = q.usage_after
        benefit[i] = q.benefit_fen
        for line in q.lines:
            arr = by_funder.get(line.funder)
            if arr is None:
                arr = by_funder[line.funder] = np.zeros(n, dtype=np.int64)
            arr[i] += line.amount_fen
    return Rated(meals, benefit, by_funder)


def _run_start(keys: np.ndarray) -> np.ndarray:
    """For contiguous runs of equal keys: the index where each element's run starts."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    np.not_equal(keys[1:], keys[:-1], out=starts[1:])
    idx = np.arange(n)
    return np.maximum.accumulate(np.where(starts, idx, 0))


def _rank_in_runs(keys: np.ndarray) -> np.ndarray:
    return np.arange(len(keys)) - _run_start(keys)


def _cumsum_in_runs(keys: np.ndarray, x: np.ndarray) -> np.ndarray:
    cs = np.cumsum(x)
    start = _run_start(keys)
    return cs - (cs - x)[start]


def _rate_vector(policy: Policy, meals: pl.DataFrame) -> Rated:
    n = meals.height
    benefit = np.zeros(n, dtype=np.int64)
    by_funder: dict[str, np.ndarray] = {}
    if n == 0:
        return Rated(meals, benefit, by_funder)
    cols = meals.select(
        pl.col("elder_code").alias("eid"),
        (pl.col("at").dt.date().cast(pl.Int32)).alias("day"),
        (pl.col("at").dt.hour().cast(pl.Int32) * 60 + pl.col("at").dt.minute().cast(pl.Int32)).alias("minute"),
        (pl.col("at").dt.year().cast(pl.Int32) - pl.col("birth_date").dt.year().cast(pl.Int32)
         - ((pl.col("at").dt.month().cast(pl.Int32) * 100 + pl.col("at").dt.day().cast(pl.Int32))
            < (pl.col("birth_date").dt.month().cast(pl.Int32) * 100
               + pl.col("birth_date").dt.day().cast(pl.Int32))).cast(pl.Int32)).alias("age"),
        pl.col("amount_fen"),
    )
    eid = cols["eid"].to_numpy()
    day = cols["day"].to_numpy().astype(np.int64)
    minute = cols["minute"].to_numpy()
    age = np.clip(cols["age"].to_numpy(), 0, MAX_AGE)
    amount = cols["amount_fen"].to_numpy().astype(np.int64)
    group = eid * 1_000_000 + day  # (elder, local day); meals are sorted so groups are contiguous

    def encode(name: str) -> tuple[np.ndarray, dict[int, Any]]:
        values = meals[name].drop_nulls().unique(maintain_order=True)
        codes = meals.select(pl.col(name).replace_strict(values, pl.int_range(0, values.len(), eager=True),
                                                          default=-1, return_dtype=pl.Int64)).to_series()
        names: dict[int, Any] = dict(enumerate(values.to_list()))
        names[-1] = None
        return codes.to_numpy(), names

    tag_code, tag_raw = encode("tags")
    tag_names = {k: frozenset(t for t in (v or "").split(";") if t) for k, v in tag_raw.items()}
    district_code, district_names = encode("canteen_district")
    hukou_code, hukou_names = encode("hukou_district")
    area_code, area_names = encode("area")

    # Split by version (a version takes effect at midnight, so an (elder, day) never spans two).
    unique_days = np.unique(day)
    version_of_day = {int(d): policy.version_on(_EPOCH + timedelta(days=int(d))) for d in unique_days}
    vkeys = {}
    for d, v in version_of_day.items():
        vkeys.setdefault(v.id, (v, []))[1].append(d)
    remaining = amount.copy()
    for version, days in vkeys.values():
        sel = np.isin(day, np.array(days, dtype=np.int64)) if len(vkeys) > 1 else np.ones(n, dtype=bool)
        idx = np.nonzero(sel)[0]
        _rate_version(version, idx, group[idx], minute[idx], age[idx], remaining, by_funder, n,
                      (tag_code[idx], tag_names), (district_code[idx], district_names),
                      (hukou_code[idx], hukou_names), (area_code[idx], area_names))
    benefit = amount - remaining
    return Rated(meals, benefit, by_funder)


def _split_proportional(total: np.ndarray, weights: list[np.ndarray]) -> list[np.ndarray]:
    """money.split_proportional over arrays: shares rounded down, the fen left over to the largest
    remainders, ties to the earlier rule."""
    whole = np.sum(weights, axis=0)
    shares = [total * w // whole for w in weights]
    rems = [total * w % whole for w in weights]
    left = total - np.sum(shares, axis=0)
    out = []
    for i, (share, rem) in enumerate(zip(shares, rems, strict=True)):
        ahead = np.zeros(len(total), dtype=np.int64)
        for j, other in enumerate(rems):
            if j != i:
                ahead += (other > rem) | ((other == rem) & (j < i))
        out.append(share + (ahead < left))
    return out


def _member(codes: np.ndarray, names: dict[int, Any], allowed: frozenset[str] | None) -> np.ndarray | None:
    if allowed is None:
        return None
    size = max(names) + 2
    ok = np.zeros(size, dtype=bool)
    for k, v in names.items():
        ok[k] = v in allowed  # k == -1 (null) lands in the extra last slot
    return ok[codes]


def _rate_version(version: Version, idx: np.ndarray, group: np.ndarray, minute: np.ndarray, age: np.ndarray,
                  remaining: np.ndarray, by_funder: dict[str, np.ndarray], n: int,
                  tags: tuple, districts: tuple, hukous: tuple, areas: tuple) -> None:
    period = np.asarray(version.period_table, dtype=np.int64)[minute]
    tag_code, tag_names = tags
    for layer in version.layers:
        el, lim = layer.eligibility, layer.limits
        if el.require_verified:
            pass  # simulated meals carry no verification flag: treated as verified
        has_band = np.array([bool(layer.age_table[a]) for a in range(MAX_AGE + 1)], dtype=bool)
        mask = has_band[age]
        for codes_names, allowed in ((districts, el.canteen_districts), (hukous, el.hukou_districts),
                                     (areas, el.areas)):
            m = _member(codes_names[0], codes_names[1], allowed)
            if m is not None:
                mask &= m
        if el.excluded_tags or el.required_tags_any:
            ok_tags = np.zeros(max(tag_names) + 2, dtype=bool)
            for k, tset in tag_names.items():
                ok_tags[k] = (not el.excluded_tags or el.excluded_tags.isdisjoint(tset)) and (
                    not el.required_tags_any or not el.required_tags_any.isdisjoint(tset))
            mask &= ok_tags[tag_code]
        if lim.require_period:
            mask &= period >= 0
        base = remaining[idx]
        raws = []
        for rule in layer.rules:
            table = np.zeros(MAX_AGE + 1, dtype=np.int64)
            for band in rule.bands:
                hi = MAX_AGE if band.max_age is None else band.max_age
                table[band.min_age:hi + 1] = band.value
            value = table[age]
            raw = (base * value + 5_000) // 10_000 if rule.kind == "percent" else value
            raws.append(raw)
        raw_total = np.sum(raws, axis=0) if raws else np.zeros(len(idx), dtype=np.int64)
        cand = mask & (base > 0) & (raw_total > 0)
        ci = np.nonzero(cand)[0]
        if len(ci) == 0:
            continue
        g = group[ci]
        ok = np.ones(len(ci), dtype=bool)
        if lim.per_period is not None:
            p = period[ci]
            inp = p >= 0
            sub = np.nonzero(inp)[0]
            rank = _rank_in_runs(g[sub] * 64 + p[sub])
            ok[sub[rank >= lim.per_period]] = False
        ci, g = ci[ok], g[ok]
        if lim.per_day is not None:
            rank = _rank_in_runs(g)
            keep = rank < lim.per_day
            ci, g = ci[keep], g[keep]
        if len(ci) == 0:
            continue
        x = np.minimum(raw_total[ci], base[ci])
        if lim.daily_cap_fen is not None:
            cap = lim.daily_cap_fen
            cs = _cumsum_in_runs(g, x)
            granted = np.minimum(cs, cap) - np.minimum(cs - x, cap)
        else:
            granted = x
        if layer.split_when_short == SPLIT_PROPORTIONAL and len(raws) > 1:
            shares = _split_proportional(granted, [raw[ci] for raw in raws])
        else:
            shares, prefix = [], np.zeros(len(ci), dtype=np.int64)
            for raw in raws:
                r = raw[ci]
                shares.append(np.clip(granted - prefix, 0, r))
                prefix += r
        for rule, line in zip(layer.rules, shares, strict=True):
            arr = by_funder.get(rule.funder)
            if arr is None:
                arr = by_funder[rule.funder] = np.zeros(n, dtype=np.int64)
            arr[idx[ci]] += line
        remaining[idx[ci]] -= granted


# --- reports ---------------------------------------------------------------------------------------


@dataclass
class SimulationReport:
    meals: int
    elders: int
    first_day: date | None
    last_day: date | None
    baseline_id: str
    reform_id: str
    baseline_totals: dict[str, int]
    reform_totals: dict[str, int]
    baseline_meals_benefited: int
    reform_meals_benefited: int
    baseline_elders_benefited: int
    reform_elders_benefited: int
    meals_affected: int
    elders_affected: int
    seconds: float = 0.0
    funder_names: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items()}


def simulate(baseline: Policy, reform: Policy, meals: pl.DataFrame, *, engine: str = "vector") -> SimulationReport:
    """Rate ``meals`` under both policies and compare (by funder, meals and elders affected)."""
    import time

    t0 = time.perf_counter()
    meals = sort_meals(meals)
    a = rate(baseline, meals, engine=engine)
    b = rate(reform, meals, engine=engine)
    elder = a.meals["elder_code"].to_numpy()
    changed = a.benefit_fen != b.benefit_fen
    for f in set(a.by_funder) | set(b.by_funder):
        fa = a.by_funder.get(f)
        fb = b.by_funder.get(f)
        fa = fa if fa is not None else np.zeros(len(changed), dtype=np.int64)
        fb = fb if fb is not None else np.zeros(len(changed), dtype=np.int64)
        changed |= fa != fb
    days = a.meals["at"].dt.date()
    names = {**{k: f.name_zh for k, f in baseline.funders.items()}, **{k: f.name_zh for k, f in reform.funders.items()}}
    return SimulationReport(
        meals=a.meals.height,
        elders=int(np.unique(elder).size),
        first_day=days.min() if a.meals.height else None,
        last_day=days.max() if a.meals.height else None,
        baseline_id=baseline.id,
        reform_id=reform.id,
        baseline_totals=a.totals(),
        reform_totals=b.totals(),
        baseline_meals_benefited=int((a.benefit_fen > 0).sum()),
        reform_meals_benefited=int((b.benefit_fen > 0).sum()),
        baseline_elders_benefited=int(np.unique(elder[a.benefit_fen > 0]).size),
        reform_elders_benefited=int(np.unique(elder[b.benefit_fen > 0]).size),
        meals_affected=int(changed.sum()),
        elders_affected=int(np.unique(elder[changed]).size),
        seconds=time.perf_counter() - t0,
        funder_names=names,
    )


def simulate_files(baseline: str, reform: str, meals_path: str, *, policy_dir: str | None = None,
                   overlays: list[str] | None = None, engine: str = "auto") -> SimulationReport:
    """The ``zhucan policy simulate`` command: load everything, rate both, compare."""
    base = load_policy(baseline, policy_dir=policy_dir, overlays=overlays or ())
    ref = load_reform(reform, policy_dir=policy_dir)
    if ref.id.split(".")[0] != base.id:
        raise PolicyError(f"reform {reform} is based on {ref.id.split('.')[0]!r}, not on {base.id!r}")
    for ov in base.overlays:
        from .loader import attach_overlay

        attach_overlay(ref, Path(ov.source_file))
    meals = read_meals(meals_path)
    return simulate(base, ref, meals, engine="vector" if engine == "auto" else engine)


def format_report(r: SimulationReport) -> str:
    """The report as printed by the command (Chinese labels, amounts in yuan)."""
    period = f"{r.first_day} – {r.last_day}" if r.first_day else "—"
    lines = [
        f"模拟（simulation）：{r.meals} 餐，{r.elders} 位老人，{period}",
        f"基准 baseline: {r.baseline_id}    改革 reform: {r.reform_id}",
        "",
        f"{'出资方 funder':<20}{'基准 baseline':>16}{'改革 reform':>16}{'变化 change':>16}",
    ]
    funders = sorted(set(r.baseline_totals) | set(r.reform_totals))
    for f in funders:
        a, b = r.baseline_totals.get(f, 0), r.reform_totals.get(f, 0)
        label = f"{r.funder_names.get(f, f)} {f}"
        lines.append(f"{label:<20}{format_fen(a):>16}{format_fen(b):>16}{_signed(b - a):>16}")
    ta, tb = sum(r.baseline_totals.values()), sum(r.reform_totals.values())
    lines.append(f"{'合计 total':<20}{format_fen(ta):>16}{format_fen(tb):>16}{_signed(tb - ta):>16}")
    lines += [
        "",
        f"{'享受优惠餐次 meals with a benefit':<34}{r.baseline_meals_benefited:>12}{r.reform_meals_benefited:>12}",
        f"{'享受优惠老人 elders with a benefit':<34}{r.baseline_elders_benefited:>12}{r.reform_elders_benefited:>12}",
        f"受影响餐次 meals affected: {r.meals_affected}",
        f"受影响老人 elders affected: {r.elders_affected}",
        f"耗时 time: {r.seconds:.2f} s",
    ]
    return "\n".join(lines)


def _signed(fen: int) -> str:
    return ("+" if fen > 0 else "") + format_fen(fen)


def meals_from_rows(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Build a normalised meals frame from dicts (tests, small tools)."""
    df = pl.DataFrame(rows, schema_overrides={"amount": pl.Utf8, "birth_date": pl.Utf8, "at": pl.Utf8})
    return normalise_meals(df)


DEFAULT_DISTRICTS = ("上城区", "拱墅区", "西湖区", "滨江区")


def synthetic_meals(n: int, *, elders: int | None = None, seed: int = 7, start: date = date(2025, 6, 1),
                    days: int = 30, districts: tuple[str, ...] = DEFAULT_DISTRICTS) -> pl.DataFrame:
    """A realistic synthetic month of meals (benchmarks and tests): ages 55–105, breakfast/lunch/
    dinner with some off-period and repeated meals, amounts 5–45 yuan, a few tags."""
    rng = np.random.default_rng(seed)
    elders = elders or max(1, n // 20)
    elder_age = rng.integers(55, 106, elders)
    elder_doy = rng.integers(0, 365, elders)
    birth = np.array([date(start.year - int(a), 1, 1) + timedelta(days=int(d)) for a, d in zip(elder_age, elder_doy,
                                                                                                  strict=True)])
    tag_pool = np.array(["", "", "", "", "dibao", "purchased_home_care", "living_alone;empty_nest", "tekun"])
    elder_tags = tag_pool[rng.integers(0, len(tag_pool), elders)]
    elder_hukou = np.array(districts)[rng.integers(0, len(districts), elders)]
    e = rng.integers(0, elders, n)
    day = rng.integers(0, days, n)
    slot = rng.choice(4, n, p=[0.25, 0.45, 0.25, 0.05])
    starts = np.array([6 * 60 + 20, 10 * 60 + 20, 16 * 60 + 20, 13 * 60])
    minute = starts[slot] + rng.integers(0, 140, n)
    amount = rng.integers(500, 4500, n)
    base = np.datetime64(start.isoformat(), "m")
    at = base + day.astype("timedelta64[D]") + minute.astype("timedelta64[m]")
    ids = np.array([f"E{i:07d}" for i in range(elders)])
    return pl.DataFrame({
        "row": np.arange(n, dtype=np.uint32),
        "elder_id": ids[e],
        "birth_date": pl.Series(birth[e].tolist(), dtype=pl.Date),
        "tags": elder_tags[e],
        "canteen_district": np.array(districts)[rng.integers(0, len(districts), n)],
        "at": pl.Series(at.astype("datetime64[us]")),
        "amount_fen": amount.astype(np.int64),
        "hukou_district": elder_hukou[e],
        "area": pl.Series([None] * n, dtype=pl.Utf8),
    })
