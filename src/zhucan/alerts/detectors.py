"""The platform's own detectors over the meal ledger (HZ-10): each reads one local date (and, where
the rule compares with history, the weeks before it) with one aggregate or ordered query, and
yields findings; `detection.detect` raises them as alerts (idempotent on the dedupe key).

Thresholds come in `params` (the rule's defaults overlaid with the city's values, `rules.params_for`).
A sale later voided or refunded is left out where the rule is about benefits paid (the reversal gave
the benefit back); the reversals rule counts the reversals themselves."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When

from zhucan.accounts.models import Terminal, User
from zhucan.alerts.rules import Finding, register_rule
from zhucan.canteens.models import Canteen, MealPeriod
from zhucan.checkout.models import IdentifiedBy, Meal, MealKind
from zhucan.core import clock
from zhucan.core.money import fen_to_yuan
from zhucan.core.sealed import mask_name
from zhucan.elders.models import Elder, ElderStatus

SALE = MealKind.SALE
# Identification by something a person carries or tells (card, code, number), not by their face.
CARRIED = (IdentifiedBy.CARD, IdentifiedBy.QR, IdentifiedBy.QR_CARD, IdentifiedBy.ID_NUMBER, IdentifiedBy.ELDER_ID)


def _yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen)}元"


def _hm(moment) -> str:
    return moment.astimezone(clock.LOCAL_TZ).strftime("%H:%M")


def _net_sales(**filters):
    """Sales not voided or refunded."""
    return Meal.objects.filter(kind=SALE, reversal__isnull=True, **filters)


def _canteen_names(ids) -> dict[int, str]:
    return dict(Canteen.objects.filter(pk__in=set(ids)).values_list("pk", "name"))


# ---- 1. meals after death or move-away --------------------------------------------------------------

def after_status(day: date, params: dict):
    """Status changes are often registered late: the rule looks back `lookback_days` for meals dated
    after the recorded date of death or move-away; one alert per elder and status date."""
    grace, lookback = timedelta(days=int(params["grace_days"])), int(params["lookback_days"])
    meals = [m for m in _net_sales(local_date__range=(day - timedelta(days=lookback - 1), day),
                                   elder__status__in=[ElderStatus.DECEASED, ElderStatus.MOVED_AWAY],
                                   elder__status_since__isnull=False)
             .select_related("elder", "canteen").order_by("elder_id", "at")
             if m.local_date > m.elder.status_since + grace]
    by_elder: dict[int, list[Meal]] = defaultdict(list)
    for meal in meals:
        by_elder[meal.elder_id].append(meal)
    for group in by_elder.values():
        elder, first = group[0].elder, group[0]
        status = elder.get_status_display()
        yield Finding(
            dedupe_key=f"elder.after_status:{elder.pk}:{elder.status}:{elder.status_since.isoformat()}",
            title=f"{mask_name(elder.name)}{status}后仍有就餐记录",
            occurred_at=first.at, canteen=first.canteen, elder=elder, meal_ids=[m.pk for m in group],
            details={"老人状态": f"{status}（{elder.status_since:%Y年%-m月%-d日}起）",
                     "就餐": "；".join(f"{m.canteen.name} {m.at.astimezone(clock.LOCAL_TZ):%-m月%-d日 %H:%M}"
                                      for m in group[:20]),
                     "享受补贴": _yuan(sum(m.benefit_fen for m in group))})


# ---- 2. one elder at two canteens too far apart within minutes ------------------------------------

def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def far_apart(day: date, params: dict):
    limit_m, window = int(params["distance_m"]), timedelta(minutes=int(params["minutes"]))
    rows = (Meal.objects.filter(local_date=day, kind=SALE, elder__isnull=False, canteen__latitude__isnull=False,
                                canteen__longitude__isnull=False)
            .values_list("pk", "elder_id", "canteen_id", "at", "canteen__latitude", "canteen__longitude",
                         "benefit_fen")
            .order_by("elder_id", "at", "pk"))
    previous = None
    flagged: set[int] = set()
    for row in rows:
        pk, elder_id, canteen_id, at, lat, lon, benefit = row
        if previous and previous[1] == elder_id and elder_id not in flagged and previous[2] != canteen_id \
                and at - previous[3] <= window:
            metres = _distance_m((float(previous[4]), float(previous[5])), (float(lat), float(lon)))
            if metres >= limit_m:
                flagged.add(elder_id)
                names = _canteen_names([previous[2], canteen_id])
                elder = Elder.objects.get(pk=elder_id)
                minutes = int((at - previous[3]).total_seconds() // 60)
                # The district where the benefit went handles it (the first meal of a period takes it).
                handler = previous[2] if previous[6] >= benefit else canteen_id
                yield Finding(
                    dedupe_key=f"elder.far_apart:{elder_id}:{day.isoformat()}",
                    title=f"{mask_name(elder.name)}{minutes}分钟内在相距{metres / 1000:.1f}公里的两个助餐点就餐",
                    occurred_at=at, canteen=handler, elder=elder, meal_ids=[previous[0], pk],
                    details={"第一次": f"{names[previous[2]]} {_hm(previous[3])}",
                             "第二次": f"{names[canteen_id]} {_hm(at)}",
                             "两地距离": f"{metres / 1000:.1f}公里", "间隔": f"{minutes}分钟"})
        previous = row


# ---- 3. a canteen's daily 人次 above capacity or far above its own history ------------------------

_NET = Sum(Case(When(kind=SALE, then=Value(1)), default=Value(-1), output_field=IntegerField()))


def volume(day: date, params: dict):
    turns, history = int(params["turns"]), int(params["history_days"])
    factor, minimum = int(params["factor_pct"]), int(params["min_meals"])
    counts: dict[int, dict[date, int]] = defaultdict(dict)
    for canteen_id, local_date, n in (Meal.objects.filter(local_date__range=(day - timedelta(days=history), day),
                                                          elder__isnull=False)
                                      .values("canteen_id", "local_date").annotate(n=_NET)
                                      .values_list("canteen_id", "local_date", "n")):
        counts[canteen_id][local_date] = n
    today = {cid: days[day] for cid, days in counts.items() if days.get(day, 0) > 0}
    canteens = {c.pk: c for c in Canteen.objects.filter(pk__in=list(today))}
    for canteen_id, n in sorted(today.items()):
        canteen = canteens[canteen_id]
        reasons: dict[str, str] = {}
        capacity = canteen.seats * turns
        if canteen.seats and n > capacity:
            reasons["接待能力"] = f"座位{canteen.seats}个 × 翻台{turns}次 = {capacity}人次"
        past = [v for d, v in counts[canteen_id].items() if d < day and v > 0]
        if len(past) >= 7 and n >= minimum:
            median = statistics.median(past)
            if n * 100 > factor * median:
                reasons["近期中位数"] = f"前{history}天每日中位数{median:g}人次，当日为其{n / median:.1f}倍"
        if reasons:
            yield Finding(
                dedupe_key=f"canteen.volume:{canteen_id}:{day.isoformat()}",
                title=f"{canteen.name}当日就餐{n}人次，明显偏高", occurred_at=_noon(day),
                canteen=canteen, details={"当日人次": f"{n}人次", **reasons})


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=clock.LOCAL_TZ)


# ---- 4. meals clustered just at the benefit cap ---------------------------------------------------

def cap_cluster(day: date, params: dict):
    cap, margin = int(params["cap_yuan"]) * 100, int(params["margin_yuan"]) * 100
    window = int(params["window_days"])
    minimum, share = int(params["min_meals"]), int(params["share_pct"])
    near = Q(benefit_fen__gte=cap - margin)
    start = day - timedelta(days=window - 1)
    rows = (_net_sales(local_date__range=(start, day), elder__isnull=False, benefit_fen__gt=0)
            .values("elder_id")
            .annotate(n=Count("id"), near=Count("id", filter=near), today=Count("id", filter=near & Q(local_date=day)))
            .filter(n__gte=minimum, today__gt=0))
    hits = [r for r in rows if r["near"] * 100 >= share * r["n"]]
    for r in hits:
        meals = list(_net_sales(local_date__range=(start, day), elder_id=r["elder_id"], benefit_fen__gte=cap - margin)
                     .select_related("canteen", "elder").order_by("at"))
        elder = meals[0].elder
        canteen_id = Counter(m.canteen_id for m in meals).most_common(1)[0][0]
        last = meals[-1]
        yield Finding(
            dedupe_key=f"meal.cap_cluster:{elder.pk}:{day:%Y-%m}",
            title=f"{mask_name(elder.name)}的就餐补贴多次贴近每日上限", occurred_at=last.at, canteen=canteen_id,
            elder=elder, meal_ids=[m.pk for m in meals],
            details={"统计期间": f"{start:%-m月%-d日}至{day:%-m月%-d日}",
                     "贴近上限的餐次": f"{r['near']}次，占享受补贴餐次（{r['n']}次）的{r['near'] * 100 // r['n']}%",
                     "每日补贴上限": _yuan(cap), "贴近幅度": f"{_yuan(margin)}以内",
                     "这些餐次的补贴合计": _yuan(sum(m.benefit_fen for m in meals))})


# ---- 5. many voids or refunds at one till ---------------------------------------------------------

def reversals(day: date, params: dict):
    minimum, share = int(params["min_reversals"]), int(params["share_pct"])
    rows = (Meal.objects.filter(local_date=day).values("canteen_id", "terminal_id", "cashier_id")
            .annotate(sales=Count("id", filter=Q(kind=SALE)), voids=Count("id", filter=Q(kind=MealKind.VOID)),
                      refunds=Count("id", filter=Q(kind=MealKind.REFUND)))
            .order_by("canteen_id", "terminal_id", "cashier_id"))
    for r in rows:
        n = r["voids"] + r["refunds"]
        if n < minimum or n * 100 < share * r["sales"]:
            continue
        canteen = Canteen.objects.get(pk=r["canteen_id"])
        till = {}
        if r["terminal_id"]:
            till["收银终端"] = Terminal.objects.filter(pk=r["terminal_id"]).values_list("name", flat=True).first()
        if r["cashier_id"]:
            till["收银员"] = str(User.objects.get(pk=r["cashier_id"]))
        meals = list(Meal.objects.filter(local_date=day, canteen_id=r["canteen_id"], terminal_id=r["terminal_id"],
                                         cashier_id=r["cashier_id"]).exclude(kind=SALE).order_by("at"))
        if not till:
            till["收银"] = "未登记收银终端和收银员"
        yield Finding(
            dedupe_key=f"till.reversals:{r['canteen_id']}:{r['terminal_id'] or 0}:{r['cashier_id'] or 0}:{day}",
            title=f"{canteen.name}同一收银台当日撤销、退款{n}笔", occurred_at=meals[-1].at, canteen=canteen,
            meal_ids=[m.pk for m in meals],
            details={**till, "撤销": f"{r['voids']}笔", "退款": f"{r['refunds']}笔", "当日消费": f"{r['sales']}笔",
                     "撤销退款占比": f"{n * 100 // max(r['sales'], 1)}%"})


# ---- 6. benefits outside announced hours ----------------------------------------------------------

def outside_hours(day: date, params: dict):
    tolerance = timedelta(minutes=int(params["tolerance_minutes"]))
    periods: dict[int, list[tuple]] = defaultdict(list)
    for canteen_id, name, start, end in MealPeriod.objects.values_list("canteen_id", "name", "start", "end"):
        periods[canteen_id].append((name, start, end))
    meals = _net_sales(local_date=day, benefit_fen__gt=0, canteen_id__in=list(periods)).order_by("canteen_id", "at")
    outside: dict[int, list[Meal]] = defaultdict(list)
    for meal in meals:
        local = meal.at.astimezone(clock.LOCAL_TZ)
        inside = False
        for _name, start, end in periods[meal.canteen_id]:
            lo = (local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0) - tolerance)
            hi = (local.replace(hour=end.hour, minute=end.minute, second=59, microsecond=999999) + tolerance)
            inside = inside or lo <= local <= hi
        if not inside:
            outside[meal.canteen_id].append(meal)
    labels = dict(MealPeriod._meta.get_field("name").choices)
    for canteen_id, group in outside.items():
        canteen = Canteen.objects.get(pk=canteen_id)
        hours = "、".join(f"{labels.get(n, n)}{s:%H:%M}–{e:%H:%M}" for n, s, e in sorted(periods[canteen_id],
                                                                                         key=lambda p: p[1]))
        yield Finding(
            dedupe_key=f"meal.outside_hours:{canteen_id}:{day.isoformat()}",
            title=f"{canteen.name}在公告时段外发放就餐补贴{len(group)}笔", occurred_at=group[0].at, canteen=canteen,
            meal_ids=[m.pk for m in group],
            details={"公告时段": hours, "时段外餐次": "、".join(_hm(m.at) for m in group[:20]),
                     "时段外补贴合计": _yuan(sum(m.benefit_fen for m in group))})


# ---- 7. cards or codes at a canteen whose elders otherwise use face -------------------------------

def card_at_face_canteen(day: date, params: dict):
    history = int(params["history_days"])
    face_share, card_share = int(params["face_share_pct"]), int(params["card_share_pct"])
    min_history, minimum = int(params["min_history"]), int(params["min_count"])
    before, today = Q(local_date__lt=day), Q(local_date=day)
    rows = (Meal.objects.filter(local_date__range=(day - timedelta(days=history), day), kind=SALE,
                                elder__isnull=False)
            .values("canteen_id")
            .annotate(hist=Count("id", filter=before), hist_face=Count("id", filter=before & Q(identified_by="face")),
                      total=Count("id", filter=today), carried=Count("id", filter=today & Q(identified_by__in=CARRIED)))
            .filter(hist__gte=min_history, carried__gte=minimum))
    for r in rows:
        if r["hist_face"] * 100 < face_share * r["hist"] or r["carried"] * 100 < card_share * r["total"]:
            continue
        canteen = Canteen.objects.get(pk=r["canteen_id"])
        meals = list(Meal.objects.filter(local_date=day, kind=SALE, canteen=canteen, identified_by__in=CARRIED)
                     .order_by("at"))
        yield Finding(
            dedupe_key=f"ident.card_at_face_canteen:{canteen.pk}:{day.isoformat()}",
            title=f"{canteen.name}当日刷卡、扫码就餐明显增多", occurred_at=meals[0].at, canteen=canteen,
            meal_ids=[m.pk for m in meals],
            details={f"前{history}天刷脸占比": f"{r['hist_face'] * 100 // r['hist']}%（{r['hist']}人次）",
                     "当日刷卡、扫码": f"{r['carried']}人次，占当日{r['carried'] * 100 // r['total']}%"})


# ---- 8. one face matched to many elders -----------------------------------------------------------

def face_many(day: date, params: dict):
    window, minimum = timedelta(seconds=int(params["seconds"])), int(params["min_elders"])
    rows = list(Meal.objects.filter(local_date=day, kind=SALE, identified_by=IdentifiedBy.FACE)
                .values_list("pk", "canteen_id", "terminal_id", "cashier_id", "elder_id", "at")
                .order_by("canteen_id", "terminal_id", "cashier_id", "at", "pk"))
    by_till: dict[tuple, list] = defaultdict(list)
    for row in rows:
        by_till[row[1:4]].append(row)
    for till, group in by_till.items():
        lo = 0
        for hi in range(len(group)):
            while group[hi][5] - group[lo][5] > window:
                lo += 1
            burst = group[lo:hi + 1]
            if len({r[4] for r in burst}) >= minimum:
                canteen = Canteen.objects.get(pk=till[0])
                elders = len({r[4] for r in burst})
                yield Finding(
                    dedupe_key=f"ident.face_many:{till[0]}:{till[1] or 0}:{till[2] or 0}:{day.isoformat()}",
                    title=f"{canteen.name}同一收银台{int(window.total_seconds())}秒内刷脸识别出{elders}位老人",
                    occurred_at=burst[0][5], canteen=canteen, meal_ids=[r[0] for r in burst],
                    details={"识别时间": f"{_hm(burst[0][5])}–{_hm(burst[-1][5])}", "识别出的老人": f"{elders}位",
                             "说明": "可能为同一人脸被匹配到多位老人，或持照片冒用"})
                break


RULES = [
    ("elder.after_status", "已故或迁出后仍有就餐", "meals after death or move-away", after_status,
     {"grace_days": 0, "lookback_days": 60},
     {"grace_days": "状态变更后宽限天数", "lookback_days": "回溯检查的天数（状态常晚于实际登记）"}),
    ("elder.far_apart", "短时间内异地就餐", "two distant canteens within minutes", far_apart,
     {"distance_m": 5000, "minutes": 30},
     {"distance_m": "两个助餐点相距至少（米）", "minutes": "两次就餐间隔不超过（分钟）"}),
    ("canteen.volume", "助餐点就餐人次异常偏高", "canteen head count far above capacity or history", volume,
     {"turns": 3, "history_days": 28, "factor_pct": 300, "min_meals": 30},
     {"turns": "每个座位每天接待人次上限（翻台次数）", "history_days": "对比的历史天数",
      "factor_pct": "超过历史每日中位数的百分比", "min_meals": "当日至少多少人次才比较历史"}),
    ("meal.cap_cluster", "补贴多次贴近上限", "meals clustered at the benefit cap", cap_cluster,
     {"cap_yuan": 20, "margin_yuan": 1, "window_days": 28, "min_meals": 5, "share_pct": 60},
     {"cap_yuan": "每日补贴上限（元）", "margin_yuan": "距上限多少以内算贴近（元）", "window_days": "统计天数",
      "min_meals": "期间至少享受补贴的餐次", "share_pct": "贴近上限的餐次占比至少（%）"}),
    ("till.reversals", "同一收银台撤销退款过多", "many voids or refunds at one till", reversals,
     {"min_reversals": 5, "share_pct": 20},
     {"min_reversals": "当日撤销和退款至少（笔）", "share_pct": "占当日消费笔数至少（%）"}),
    ("meal.outside_hours", "公告时段外发放补贴", "benefits outside announced hours", outside_hours,
     {"tolerance_minutes": 0}, {"tolerance_minutes": "时段前后宽限（分钟）"}),
    ("ident.card_at_face_canteen", "刷脸助餐点刷卡扫码异常增多", "cards or codes at a face canteen",
     card_at_face_canteen,
     {"history_days": 28, "face_share_pct": 80, "min_history": 20, "min_count": 5, "card_share_pct": 50},
     {"history_days": "对比的历史天数", "face_share_pct": "历史刷脸占比至少（%）", "min_history": "历史至少人次",
      "min_count": "当日刷卡扫码至少人次", "card_share_pct": "当日刷卡扫码占比至少（%）"}),
    ("ident.face_many", "一脸多人", "one face matched to many elders", face_many,
     {"seconds": 60, "min_elders": 3},
     {"seconds": "时间窗口（秒）", "min_elders": "窗口内同一收银台刷脸识别出的老人至少（位）"}),
]


def register_all() -> None:
    """Register the ledger rules (called from AlertsConfig.ready)."""
    for code, title_zh, title_en, detector, defaults, help_zh in RULES:
        register_rule(code, title_zh=title_zh, title_en=title_en, defaults=defaults, detector=detector,
                      params_help_zh=help_zh)
