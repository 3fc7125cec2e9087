"""From the selectors' figures to what the dashboard shows: each panel is a table (title, headers,
rows; money as two-place Decimal yuan, shares as text) and, where figures are compared, a chart
specification the page's script hands to ECharts. The same table feeds the page and its .xlsx
export, so the file always says what the screen says."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhucan.accounts.models import CANTEEN_ROLES
from zhucan.analytics import selectors
from zhucan.analytics.selectors import FUNDERS, Range, Totals
from zhucan.canteens.models import PeriodName
from zhucan.checkout.models import IdentifiedBy
from zhucan.core import money
from zhucan.core.errors import DomainError
from zhucan.regions.models import Level, Region

WEEKDAYS = (gettext_lazy("周一"), gettext_lazy("周二"), gettext_lazy("周三"), gettext_lazy("周四"),
            gettext_lazy("周五"), gettext_lazy("周六"), gettext_lazy("周日"))
PERIOD_ORDER = ("breakfast", "lunch", "dinner", "")


def yuan(fen: int) -> Decimal:
    return money.fen_to_decimal(int(fen))


def share(part: int, whole: int) -> str:
    """'33.3%' (one decimal, half up); '—' when there is nothing to divide by."""
    if whole <= 0:
        return "—"
    permille = selectors.divide_half_up(abs(part) * 1000, whole)
    return f"{'-' if part < 0 else ''}{permille // 10}.{permille % 10}%"


def period_label(name: str) -> str:
    if not name:
        return _("未分时段")
    return str(dict(PeriodName.choices).get(name, name))


def method_label(code: str) -> str:
    if not code or code == IdentifiedBy.NONE:
        return str(IdentifiedBy.NONE.label)
    return str(dict(IdentifiedBy.choices).get(code, code))


FUNDER_FALLBACK = {"city": gettext_lazy("市级"), "district": gettext_lazy("区级"), "canteen": gettext_lazy("助餐机构"),
                   "other": gettext_lazy("其他")}


# ---- the range the user chose ---------------------------------------------------------------------

PRESETS = (("today", gettext_lazy("今天")), ("week", gettext_lazy("本周")), ("month", gettext_lazy("本月")),
           ("last_month", gettext_lazy("上月")), ("year", gettext_lazy("本年")))
MAX_DAYS = 400


@dataclass
class Chosen:
    range: Range
    preset: str  # one of PRESETS' codes, or "custom"
    label: str  # 本月, 2025年6月 …; empty for a custom range
    error: str = ""


def preset_range(code: str, today: date) -> Range:
    if code == "today":
        return Range(today, today)
    if code == "week":
        return Range(today - timedelta(days=today.weekday()), today)
    if code == "month":
        return Range(today.replace(day=1), today)
    if code == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return Range(end.replace(day=1), end)
    if code == "year":
        return Range(today.replace(month=1, day=1), today)
    raise KeyError(code)


def _month_range(day: date) -> Range:
    end = (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Range(day.replace(day=1), end)


def choose_range(params, *, user, today: date) -> Chosen:
    """The range from the query (a preset, or custom start and end); without one, the period that
    has data: this month when it has meals, else the month of the latest meal."""
    code = params.get("range", "")
    labels = dict(PRESETS)
    if code in labels:
        return Chosen(preset_range(code, today), code, str(labels[code]))
    if code == "custom":
        try:
            start = date.fromisoformat(params.get("start", ""))
            end = date.fromisoformat(params.get("end", ""))
        except ValueError:
            return _default(user, today, error=_("请填写正确的起止日期（如 2025-03-01）。"))
        if end < start:
            return _default(user, today, error=_("结束日期不能早于开始日期。"))
        if (end - start).days + 1 > MAX_DAYS:
            return _default(user, today, error=_("所选时间段过长，最长 %(n)s 天。") % {"n": MAX_DAYS})
        return Chosen(Range(start, end), "custom", "")  # the heading shows the dates themselves
    return _default(user, today)


def _default(user, today: date, *, error: str = "") -> Chosen:
    latest = selectors.latest_day_with_data(user=user, today=today)
    if latest is None or (latest.year, latest.month) == (today.year, today.month):
        return Chosen(preset_range("month", today), "month", _("本月"), error)
    r = _month_range(latest)
    return Chosen(r, "custom", _("%(year)s年%(month)s月") % {"year": latest.year, "month": latest.month}, error)


# ---- names for codes --------------------------------------------------------------------------------


def _cities_of(user) -> list[Region]:
    if user.is_superuser:
        return list(Region.objects.filter(level=Level.CITY))
    node = user.canteen.region if user.role in CANTEEN_ROLES and user.canteen_id else user.region
    city = node.ancestor(Level.CITY) if node is not None else None
    return [city] if city is not None else []


def policy_labels(user) -> tuple[dict[str, str], dict[str, str]]:
    """(rule id → Chinese rule name, funder code → Chinese funder name) from the policy files of
    the user's city (every version and enabled district overlay), through the rules adapter."""
    from zhucan.policy import PolicyError
    from zhucan.rules.facts import policy_for_city

    rules: dict[str, str] = {}
    funders = {code: str(label) for code, label in FUNDER_FALLBACK.items()}
    for city in _cities_of(user):
        if not city.policy_id:
            continue
        try:
            policy = policy_for_city(city.policy_id)
        except (DomainError, PolicyError):
            continue
        for code, funder in policy.funders.items():
            funders.setdefault(code, funder.name_zh)
            funders[code] = funder.name_zh
        layer_sets = [v.layers for v in policy.versions]
        for overlay in policy.overlays:
            layer_sets += [layers for _eff, _vid, layers in overlay.versions]
            for code, funder in overlay.funders.items():
                funders.setdefault(code, funder.name_zh)
        for layers in layer_sets:
            for layer in layers:
                for rule in layer.rules:
                    rules.setdefault(rule.id, rule.name_zh)
    return rules, funders


# ---- tables and charts ----------------------------------------------------------------------------


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    chart: dict | None = None
    note: str = ""


def _day_label(d: date) -> str:
    return f"{d:%m-%d}"


def table_days(days: list[dict], *, with_elders: bool) -> Table:
    headers = [_("日期"), _("就餐份数"), _("老人就餐人次")]
    if with_elders:
        headers.append(_("就餐老人数"))
    headers += [_("补贴金额（元）")]
    t = Table("days", _("每日就餐"), headers)
    for d in days:
        row = [f"{d['date']:%Y-%m-%d} {WEEKDAYS[d['date'].weekday()]}", d["meals"], d["elder_meals"]]
        if with_elders:
            row.append(d["elders"])
        row.append(yuan(d["benefit_fen"]))
        t.rows.append(row)
    series = [{"name": _("就餐份数"), "data": [d["meals"] for d in days]},
              {"name": _("老人就餐人次"), "data": [d["elder_meals"] for d in days]}]
    if with_elders:
        series.append({"name": _("就餐老人数"), "data": [d["elders"] for d in days]})
    t.chart = {"kind": "line", "categories": [_day_label(d["date"]) for d in days], "series": series}
    return t


def table_periods(periods: dict[str, Totals], *, key: str = "periods", title: str = "") -> Table:
    t = Table(key, title or _("分时段就餐"), [_("时段"), _("就餐份数"), _("老人就餐人次"), _("补贴金额（元）")])
    for name in sorted(periods, key=lambda p: PERIOD_ORDER.index(p) if p in PERIOD_ORDER else 9):
        p = periods[name]
        t.rows.append([period_label(name), p.meals, p.elder_meals, yuan(p.benefit_fen)])
    t.chart = {"kind": "bar", "categories": [r[0] for r in t.rows],
               "series": [{"name": _("就餐份数"), "data": [r[1] for r in t.rows]},
                          {"name": _("老人就餐人次"), "data": [r[2] for r in t.rows]}]}
    return t


def table_funders(total: Totals, funder_names: dict[str, str], *, key: str = "funders") -> Table:
    t = Table(key, _("补贴按出资方"), [_("出资方"), _("补贴金额（元）"), _("占比")])
    for f in FUNDERS:
        fen = getattr(total, f"benefit_{f}_fen")
        if fen or f != "other":
            t.rows.append([funder_names.get(f, f), yuan(fen), share(fen, total.benefit_fen)])
    t.rows.append([_("合计"), yuan(total.benefit_fen), share(total.benefit_fen, total.benefit_fen)])
    t.chart = {"kind": "pie", "categories": [r[0] for r in t.rows[:-1]],
               "series": [{"name": _("补贴金额（元）"), "data": [str(r[1]) for r in t.rows[:-1]]}]}
    return t


def table_rules(rules: list[dict], rule_names: dict[str, str], funder_names: dict[str, str]) -> Table:
    t = Table("rules", _("补贴按优惠规则"), [_("优惠规则"), _("出资方"), _("享受次数"), _("补贴金额（元）")])
    for r in rules:
        t.rows.append([rule_names.get(r["rule_id"], _("其他优惠")), funder_names.get(r["funder"], r["funder"]),
                       r["lines"], yuan(r["amount_fen"])])
    t.chart = {"kind": "bar", "horizontal": True, "categories": [f"{r[0]}（{r[1]}）" for r in t.rows],
               "series": [{"name": _("补贴金额（元）"), "data": [str(r[3]) for r in t.rows]}]}
    return t


def table_methods(methods: dict[str, Totals]) -> Table:
    t = Table("methods", _("身份识别方式"), [_("识别方式"), _("就餐份数"), _("占比")])
    merged: dict[str, int] = {}
    for code, m in methods.items():
        label = method_label(code)
        merged[label] = merged.get(label, 0) + m.meals
    whole = sum(merged.values())
    for label, meals in sorted(merged.items(), key=lambda kv: -kv[1]):
        t.rows.append([label, meals, share(meals, whole)])
    t.chart = {"kind": "pie", "categories": [r[0] for r in t.rows],
               "series": [{"name": _("就餐份数"), "data": [r[1] for r in t.rows]}]}
    return t


def table_canteens(rows) -> Table:
    t = Table("canteens", _("助餐点运营情况"),
              [_("助餐点"), _("所在街道"), _("就餐份数"), _("老人就餐人次"), _("营业额（元）"), _("平均每餐（元）"),
               _("补贴金额（元）"), _("撤销笔数"), _("退款笔数")])
    for canteen, x in rows:
        t.rows.append([canteen.name, canteen.region.name, x.meals, x.elder_meals, yuan(x.gross_fen),
                       yuan(x.average_bill_fen), yuan(x.benefit_fen), x.voids, x.refunds])
    top = [r for r in t.rows if r[2]][:15]
    t.chart = {"kind": "bar", "horizontal": True, "categories": [r[0] for r in top],
               "series": [{"name": _("就餐份数"), "data": [r[2] for r in top]}]}
    return t


def table_regions(rows, *, key: str = "regions") -> Table:
    t = Table(key, _("分区域就餐"), [_("区域"), _("就餐份数"), _("老人就餐人次"), _("补贴金额（元）")])
    for region, x in rows:
        t.rows.append([region.name, x.meals, x.elder_meals, yuan(x.benefit_fen)])
    t.chart = {"kind": "bar", "categories": [r[0] for r in t.rows],
               "series": [{"name": _("就餐份数"), "data": [r[1] for r in t.rows]}]}
    return t


def table_coverage(key: str, title: str, first: str, items) -> Table:
    t = Table(key, title, [first, _("符合条件老人"), _("就餐老人"), _("覆盖率")])
    for c in items:
        t.rows.append([c.label, c.eligible, c.reached, share(c.reached, c.eligible)])
    t.chart = {"kind": "bar", "percent": True, "categories": [r[0] for r in t.rows],
               "series": [{"name": _("覆盖率"), "data": [
                   str(Decimal(selectors.divide_half_up(c.reached * 1000, c.eligible)) / 10) for c in items]}]}
    return t


# ---- comparison with the previous period ----------------------------------------------------------


def compare(now: Totals, before: Totals) -> list[dict]:
    """Headline figures with the change against the previous period of equal length."""
    items = [
        (_("就餐份数"), now.meals, before.meals, False),
        (_("老人就餐人次"), now.elder_meals, before.elder_meals, False),
    ]
    if now.elders is not None:
        items.append((_("就餐老人数"), now.elders, before.elders or 0, False))
    items += [
        (_("补贴金额（元）"), now.benefit_fen, before.benefit_fen, True),
        (_("营业额（元）"), now.gross_fen, before.gross_fen, True),
        (_("平均每餐（元）"), now.average_bill_fen, before.average_bill_fen, True),
    ]
    out = []
    for label, a, b, is_money in items:
        delta = a - b
        out.append({
            "label": label,
            "value": money.fen_to_grouped(a) if is_money else f"{a:,}",
            "before": money.fen_to_grouped(b) if is_money else f"{b:,}",
            "delta": (("+" if delta > 0 else "") + (money.fen_to_grouped(delta) if is_money else f"{delta:,}")),
            "pct": (("+" if delta > 0 else "") + share(delta, b)) if b else "—",
            "up": delta > 0, "down": delta < 0,
        })
    return out
