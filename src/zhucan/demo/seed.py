"""Demo data for both cities, seeded idempotently: running it twice changes nothing.

Regions come from the real division data in regions/data/demo_regions.yaml; canteens, dishes,
accounts and elders are synthetic but plausible (valid-checksum ID numbers; ages 55–100).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

import yaml
from django.db import transaction

from zhucan.accounts.models import Role, User
from zhucan.canteens.models import Canteen, Dish, MealPeriod
from zhucan.canteens.services import canteen_create
from zhucan.core import clock, crypto
from zhucan.core.idnumber import make_id_number, mask_id_number
from zhucan.core.models import AuditLog
from zhucan.elders.models import Elder, ElderStatus, Tag, Verification
from zhucan.elders.services import ID_CONTEXT, id_number_index
from zhucan.identity.models import CardStatus, CitizenCard
from zhucan.identity.services import CARD_CONTEXT, card_number_index, card_number_mask
from zhucan.regions.models import Level, Region

DEMO_PASSWORD = "Zhucan-demo-2025"
REGIONS_FILE = Path(__file__).resolve().parent.parent / "regions" / "data" / "demo_regions.yaml"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁沈任姚卢"
GIVEN_F = "秀英 桂兰 玉兰 凤英 秀兰 兰英 淑珍 素珍 月娥 金花 美华 翠华 丽华 惠芳".split()
GIVEN_M = "建国 国华 德明 志强 文斌 永福 长青 宝林 振华 金龙 树林 庆丰 富贵 有才".split()

DISHES = [
    ("红烧肉", "荤菜", 1200), ("清蒸鲈鱼", "荤菜", 1500), ("番茄炒蛋", "素菜", 600), ("清炒时蔬", "素菜", 400),
    ("麻婆豆腐", "素菜", 500), ("米饭", "主食", 100), ("馒头", "主食", 100), ("紫菜蛋花汤", "汤", 300),
    ("杂粮粥", "早餐", 200), ("肉包", "早餐", 150), ("老年套餐（两荤一素）", "套餐", 1500),
]


@dataclass(frozen=True)
class DemoCanteen:
    region_code: str
    suffix: str  # the canteen is named after its place: 湖滨街道 + 老年食堂
    canteen_type: str
    area: str
    status: str = "open"
    opened: date | None = date(2023, 3, 1)


# Where the demo canteens stand (WGS-84, inside their real subdistricts) for the public directory's
# "near me".
DEMO_COORDINATES = {
    "330102003": (Decimal("30.259400"), Decimal("120.164800")),
    "330102004": (Decimal("30.265300"), Decimal("120.177900")),
    "330105001": (Decimal("30.296700"), Decimal("120.169300")),
    "330106002": (Decimal("30.263800"), Decimal("120.144500")),
    "330106005": (Decimal("30.289600"), Decimal("120.128700")),
    "330106013": (Decimal("30.292100"), Decimal("120.109800")),
    "330108001": (Decimal("30.214900"), Decimal("120.216400")),
    "330109001": (Decimal("30.164200"), Decimal("120.265100")),
    "330113001": (Decimal("30.420600"), Decimal("120.299700")),
    "371502010": (Decimal("36.414800"), Decimal("116.030900")),
    "371502008": (Decimal("36.468500"), Decimal("115.988600")),
    "371571400": (Decimal("36.430200"), Decimal("116.071400")),
    "371502010239": (Decimal("36.395300"), Decimal("116.044800")),
}


CANTEENS = [
    DemoCanteen("330102003", "老年食堂", "community_new_build", "urban"),
    DemoCanteen("330102004", "长者食堂", "upgrade", "urban"),
    DemoCanteen("330105001", "助餐点", "enterprise_branded", "urban"),
    DemoCanteen("330106002", "颐乐食堂", "community_new_build", "urban"),
    DemoCanteen("330106005", "长者食堂", "upgrade", "urban"),
    DemoCanteen("330106013", "社区食堂", "enterprise_branded", "urban"),
    DemoCanteen("330108001", "老年食堂", "community_new_build", "urban"),
    DemoCanteen("330109001", "助餐服务中心", "upgrade", "urban"),
    DemoCanteen("330113001", "幸福食堂", "enterprise_branded", "urban", opened=date(2024, 6, 1)),
    DemoCanteen("371502010", "幸福食堂", "community_new_build", "urban", opened=date(2022, 9, 1)),
    DemoCanteen("371502008", "幸福食堂", "upgrade", "urban", opened=date(2022, 10, 15)),
    DemoCanteen("371571400", "幸福食堂", "enterprise_branded", "urban", opened=date(2022, 12, 1)),
    DemoCanteen("371502010239", "幸福食堂", "upgrade", "rural", status="under_construction", opened=None),
]

DEMO_CANTEEN = "北山街道颐乐食堂"  # where the demo canteen manager and cashier work


def _walk(nodes, parent, out):
    for node in nodes:
        out.append((node, parent))
        _walk(node.get("children", []), node["code"], out)


@transaction.atomic
def seed_regions() -> int:
    data = yaml.safe_load(REGIONS_FILE.read_text(encoding="utf-8"))
    flat: list = []
    _walk(data, None, flat)
    by_code = {r.code: r for r in Region.objects.all()}
    created = 0
    for node, parent_code in flat:
        if node["code"] in by_code:
            continue
        region = Region(code=node["code"], name=node["name"], level=node["level"],
                        parent=by_code.get(parent_code), area=node.get("area", ""),
                        policy_id=node.get("policy", ""))
        region.save()
        by_code[region.code] = region
        created += 1
    return created


def _find(code_prefix: str, level: str) -> Region | None:
    return Region.objects.filter(code__startswith=code_prefix, level=level).order_by("code").first()


def _system_user() -> User:
    user, _ = User.objects.get_or_create(
        username="admin", defaults={"is_superuser": True, "is_staff": True, "display_name": "系统管理员"}
    )
    if not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def seed_canteens(actor: User) -> int:
    created = 0
    for spec in CANTEENS:
        region = Region.objects.filter(code=spec.region_code).first()
        name = f"{region.name}{spec.suffix}" if region else ""
        if region is None or Canteen.objects.filter(name=name).exists():
            continue
        latitude, longitude = DEMO_COORDINATES.get(spec.region_code, (None, None))
        canteen = canteen_create(actor=actor, values={
            "name": name, "operator": f"{region.name}餐饮服务有限公司",
            "canteen_type": spec.canteen_type, "area": spec.area, "region": region,
            "address": f"{region.parent.name}{region.name}{len(name) * 7}号", "seats": 60,
            "latitude": latitude, "longitude": longitude,
            "floor_area_m2": 320 if spec.canteen_type == "community_new_build" else 180,
            "opening_date": spec.opened, "status": spec.status, "phone": "0571-8800" + str(1000 + created),
            "open_to_public": spec.canteen_type == "enterprise_branded",
            "public_info": "面向辖区60周岁以上老年人提供助餐服务，刷市民卡、长者码或人脸即可享受优惠。",
            "service_promises": "食材新鲜、明码标价、少油少盐；阳光厨房全程可视；老人优先窗口。",
        })
        Dish.objects.bulk_create(Dish(canteen=canteen, name=n, category=c, price_fen=p, sort_order=i)
                                 for i, (n, c, p) in enumerate(DISHES))
        created += 1
    # One canteen announces narrower lunch hours than the city standard (HZ-7).
    first = Canteen.objects.filter(name=DEMO_CANTEEN).first()
    if first:
        MealPeriod.objects.filter(canteen=first, name="lunch").update(start=time(11, 0), end=time(12, 30))
    return created


def seed_users() -> list[tuple[str, str, str]]:
    """One account per role in each city; returns (username, role label, where) for the README."""
    def region(code):
        return Region.objects.get(code=code)

    specs = [
        ("hz_city", Role.CITY_ADMIN, region("330100"), None, "杭州市民政局"),
        ("xihu_admin", Role.DISTRICT_ADMIN, region("330106"), None, "西湖区民政局"),
        ("beishan_staff", Role.SUBDISTRICT_STAFF, region("330106002"), None, "北山街道"),
        ("xihu_auditor", Role.AUDITOR, region("330106"), None, "西湖区（只读）"),
        ("lc_city", Role.CITY_ADMIN, region("371500"), None, "聊城市民政局"),
        ("kfq_admin", Role.DISTRICT_ADMIN, region("371571"), None, "聊城经济技术开发区"),
        ("jgt_staff", Role.SUBDISTRICT_STAFF, region("371502010"), None, "蒋官屯街道"),
    ]
    beishan = Canteen.objects.filter(name=DEMO_CANTEEN).first()
    if beishan:
        specs += [("beishan_mgr", Role.CANTEEN_MANAGER, None, beishan, DEMO_CANTEEN),
                  ("beishan_cashier", Role.CASHIER, None, beishan, DEMO_CANTEEN)]
    out = []
    for username, role, node, canteen, where in specs:
        user, created = User.objects.get_or_create(
            username=username, defaults={"role": role, "region": node, "canteen": canteen, "display_name": where}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        out.append((username, role.label, where))
    return out


def seed_elders(count: int = 2400, seed: int = 20250601) -> int:
    """Synthetic elders over every community, ages 55–100, with valid ID numbers. Bulk-written
    (the demo must start quickly) through the same encryption, blind index and audit record."""
    rng = random.Random(seed)
    communities = list(Region.objects.filter(level=Level.COMMUNITY).select_related("parent__parent"))
    tags = {t.code: t for t in Tag.objects.all()}
    today = clock.local_today()
    existing = set(Elder.objects.values_list("id_number_index", flat=True))
    elders, tag_links = [], []
    for i in range(count):
        community = communities[i % len(communities)]
        district = community.ancestor(Level.DISTRICT)
        age_days = rng.randint(55 * 365, 100 * 365)
        birth = today - timedelta(days=age_days)
        sex = rng.choice("MF")
        number = make_id_number(district.code[:6] if district.code[:2] != "37" else "371502", birth,
                                rng.randint(0, 499), sex)
        index = id_number_index(number)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_F if sex == "F" else GIVEN_M)
        status, since = ElderStatus.ACTIVE, None
        roll = rng.random()
        if roll < 0.01:
            status, since = ElderStatus.DECEASED, today - timedelta(days=rng.randint(1, 200))
        elif roll < 0.02:
            status, since = ElderStatus.MOVED_AWAY, today - timedelta(days=rng.randint(1, 200))
        verification = rng.choices([Verification.VERIFIED, Verification.PENDING, Verification.REJECTED],
                                   weights=[85, 13, 2])[0]
        elder = Elder(
            name=name, id_number_encrypted=crypto.encrypt(number, context=ID_CONTEXT), id_number_index=index,
            id_number_masked=mask_id_number(number), birth_date=birth, sex=sex,
            phone=f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
            address=f"{community.parent.name}{community.name}{rng.randint(1, 40)}幢{rng.randint(1, 6)}单元",
            community=community, hukou_district=district if rng.random() < 0.9 else None,
            hukou_note="" if rng.random() < 0.9 else "安徽省合肥市",
            status=status, status_since=since, verification=verification,
            verification_reason="户籍信息与档案不符" if verification == Verification.REJECTED else "",
        )
        elder.card_number = f"{district.code[:4]}{i:08d}{rng.randint(10, 99)}"
        if elder.hukou_district is None and not elder.hukou_note:
            elder.hukou_note = "安徽省合肥市"
        chosen = [code for code, p in (("living_alone", 0.15), ("empty_nest", 0.25), ("dibao", 0.05),
                                       ("disabled", 0.04), ("purchased_home_care", 0.06)) if rng.random() < p]
        # Skip only after every random draw, so that a re-run walks the same sequence (idempotent).
        if index in existing:
            continue
        existing.add(index)
        elders.append((elder, chosen))
    with transaction.atomic():
        Elder.objects.bulk_create([e for e, _ in elders], batch_size=500)
        saved = {e.id_number_index: e for e in Elder.objects.filter(
            id_number_index__in=[e.id_number_index for e, _ in elders]).select_related("community")}
        for elder, chosen in elders:
            pk = saved[elder.id_number_index].pk
            tag_links += [Elder.tags.through(elder_id=pk, tag_id=tags[c].pk) for c in chosen if c in tags]
        Elder.tags.through.objects.bulk_create(tag_links, batch_size=1000)
        now = clock.now()
        CitizenCard.objects.bulk_create([
            CitizenCard(elder_id=saved[e.id_number_index].pk, number_index=card_number_index(e.card_number),
                        number_encrypted=crypto.encrypt(e.card_number, context=CARD_CONTEXT),
                        number_masked=card_number_mask(e.card_number), status=CardStatus.ACTIVE, issued_at=now)
            for e, _ in elders], batch_size=1000)
        AuditLog.objects.bulk_create([
            AuditLog(at=now, actor_repr="demo-seed", action="elder.create", object_type="elders.elder",
                     object_id=str(e.pk), object_repr=str(e)[:200], region_path=e.community.path,
                     after={"name": e.name, "id_number_masked": e.id_number_masked})
            for e in saved.values()
        ], batch_size=1000)
    return len(elders)


def seed_all(*, elders: int = 2400, meals_per_canteen: int = 240, recent_per_day: int = 3) -> dict:
    created_regions = seed_regions()
    actor = _system_user()
    created_canteens = seed_canteens(actor)
    users = seed_users()
    # Designation through the real filing workflow (HZ-8), dated before the June 2025 meals below.
    from zhucan.demo.filing import seed_demo_designations

    designations = seed_demo_designations(actor)
    created_elders = seed_elders(elders)
    # June 2025 at the counters of both cities (for the settlement demo), then Liaocheng's funds:
    # construction target and subsidies (LC-1, LC-3), evaluations and rewards (LC-5, LC-6).
    from zhucan.funds.demo import seed_demo_funds
    from zhucan.settlement.demo import seed_demo_meals

    meals = seed_demo_meals(per_canteen=meals_per_canteen)
    from zhucan.demo.assessment import seed_demo_assessment

    seed_demo_assessment()  # published 2023 assessments (read by the rewards below) and a 双随机 plan
    seed_demo_funds()
    from zhucan.elderphone.demo import seed_demo_phone_accounts

    seed_demo_phone_accounts()  # the elder phone page (/h5/): two accounts, a few recent meals
    from zhucan.identity.demo import seed_demo_identity

    seed_demo_identity()  # cards, one elder's PIN, printed card code and face; 1:N and the PIN factor at a canteen
    from zhucan.demo.lunch import seed_recent_meals

    # From the first of last month up to the (demo) clock's now, so "this month" is never empty.
    meals["recent"] = seed_recent_meals(per_canteen_per_day=recent_per_day) if recent_per_day else 0
    from zhucan.demo.alerts import seed_demo_alerts

    seed_demo_alerts(actor)  # anomalies through the real checkout, found by the real detection (/alerts/)
    from zhucan.demo.evaluation import seed_demo_evaluation

    seed_demo_evaluation()  # ratings of recent meals at 北山街道颐乐食堂, complaints at each stage
    from zhucan.demo.video import seed_demo_video

    seed_demo_video()  # cameras of three 西湖区 canteens on `zhucan video simulate`: live, dark, 5 days only
    from zhucan.demo.orders import seed_demo_orders

    seed_demo_orders(actor)  # menus ahead, cut-offs, coverage in 北山街道; a few orders, a standing order
    from zhucan.demo.family import seed_demo_family_orders

    seed_demo_family_orders()  # the demo family phone orders its parent's next meal (needs the menus ahead)
    from zhucan.demo.payments import seed_demo_payments

    seed_demo_payments()  # one family order recorded as paid online (no provider in the demo)
    from zhucan.demo.delivery import seed_demo_delivery

    delivery = seed_demo_delivery()  # orders for the next open period, a route and a volunteer courier
    return {"regions": created_regions, "canteens": created_canteens, "elders": created_elders, "users": users,
            "meals": meals, "designations": designations, "delivery": delivery}
