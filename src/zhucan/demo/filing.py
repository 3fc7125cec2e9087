"""Demo designations (HZ-8), walked through the real lifecycle services: the district selects each
open canteen, records its service agreement, the canteen files against the eight requirements with
declarations and small generated evidence files, the automatic checks run, the district reviews
every requirement and designates the canteen. One canteen of 西湖区 stays submitted, waiting in the
district's review queue (its meals are at full price until it is designated).

Designation dates precede the demo's June 2025 meals so that those keep their benefits. Each canteen
resumes from the stage it reached, so seeding again changes nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image, ImageDraw

from zhucan.accounts.models import User
from zhucan.canteens.models import Canteen, CanteenStatus
from zhucan.core import clock
from zhucan.filing import services
from zhucan.filing.evidence import evidence_store
from zhucan.filing.models import Designation, Requirement, Review, Stage
from zhucan.filing.requirements import SPECS, applies, coverage_choices, credit_check_character
from zhucan.regions.models import Level, Region

DESIGNATED_ON = date(2025, 5, 1)  # before the demo's June 2025 meals
AGREEMENT_START, AGREEMENT_END = date(2025, 4, 1), date(2028, 3, 31)
UNDER_REVIEW_CODE = "330106013"  # 西湖区: this canteen's filing waits in the district's queue
# The districts' demo officials; elsewhere the platform's administrator acts for the district.
DISTRICT_ACCOUNTS = {"330106": "xihu_admin", "371571": "kfq_admin"}
MANAGER_ACCOUNTS = {"330106002": "beishan_mgr"}


def _png(text: str) -> bytes:
    image = Image.new("RGB", (160, 90), (236, 240, 244))
    ImageDraw.Draw(image).text((8, 38), text, fill=(40, 60, 90))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _pdf(text: str) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(_png(text))).save(out, "PDF", resolution=72)
    return out.getvalue()


def _user(username: str | None, fallback: User) -> User:
    user = User.objects.filter(username=username).first() if username else None
    return user or fallback


def _credit_code(canteen: Canteen) -> str:
    first17 = f"91{canteen.region.code[:6]}MA{canteen.pk:07d}"[:17].ljust(17, "0")
    return first17 + credit_check_character(first17)


def _own_community(canteen: Canteen) -> Region:
    """The community the canteen serves first (its delivery area must include it, HZ-F7). The demo's
    division data lists communities for a few subdistricts only: one is added where none is."""
    found = Region.objects.filter(level=Level.COMMUNITY, path__startswith=canteen.region.path).order_by("code").first()
    if found is not None:
        return found
    base = canteen.region.name.removesuffix("街道").removesuffix("镇")
    return Region.objects.create(code=f"{canteen.region.code}001", name=f"{base}社区", level=Level.COMMUNITY,
                                 parent=canteen.region)


def _declarations(canteen: Canteen, n: int) -> dict[str, dict]:
    own = [_own_community(canteen).pk]
    own += [c.pk for c in coverage_choices(canteen) if c.path.startswith(canteen.region.path) and c.pk not in own]
    return {
        "F1": {"credit_code": _credit_code(canteen), "licence_number": f"JY1{canteen.region.code[:6]}{n:07d}",
               "licence_expiry": (clock.local_today() + timedelta(days=730 + 30 * n)).isoformat(),
               "operator": canteen.operator, "legal_representative": "陈建华"},
        "F2": {"screen_inches": 43, "rooms": ["清洗", "切配", "烹饪", "餐具消毒", "专间"]},
        "F3": {"standard_confirmed": True},
        "F4": {"realtime_confirmed": True},
        "F5": {"terminal_confirmed": True},
        "F6": {"priority_window": True, "reserved_tables": 2},
        "F7": {"online_ordering": True, "home_delivery": True, "coverage": own[:3]},
        "F8": {"cameras": 2, "live_view": True, "playback_days": 15},
    }


def _evidence(manager: User, requirement: str, canteen: Canteen) -> list:
    if not SPECS[requirement].evidence_label:
        return []
    if requirement == "F1":
        data, name = _pdf(f"licence {canteen.pk}"), "营业执照与食品经营许可证.pdf"
    else:
        # Officials and managers read the file name and see the picture: the requirement's title,
        # never its code.
        title = str(Requirement(requirement).label)
        data, name = _png(f"photo {canteen.pk}-{requirement[1:]}"), f"{title}现场照片.png"
    return [evidence_store(actor=manager, data=data, file_name=name)]


def _walk(canteen: Canteen, n: int, admin: User) -> str:
    """Move the canteen forward through the lifecycle to where the demo wants it; returns its stage."""
    district = canteen.region.ancestor(Level.DISTRICT)
    official = _user(DISTRICT_ACCOUNTS.get(district.code if district else ""), admin)
    manager = _user(MANAGER_ACCOUNTS.get(canteen.region.code), admin)
    designation = Designation.objects.filter(canteen=canteen).first()
    if designation is None:
        designation = services.canteen_select(actor=official, canteen=canteen, note="街道推荐，场地与设施达标")
    if designation.stage == Stage.SELECTED:
        services.agreement_record(
            actor=official, canteen=canteen, number=f"ZC-{canteen.region.code[:6]}-{canteen.pk:03d}",
            party_a=f"{district.name if district else ''}民政局", party_b=canteen.operator,
            start_date=AGREEMENT_START, end_date=AGREEMENT_END,
            scan=evidence_store(actor=official, data=_pdf(f"agreement {canteen.pk}"), file_name="服务协议.pdf"))
        designation.refresh_from_db()
    if designation.stage == Stage.FILING:
        filing = services.filing_current(canteen=canteen)
        declarations = _declarations(canteen, n)
        for item in filing.items.all():
            if applies(item.requirement, canteen):
                services.filing_item_save(actor=manager, item=item, declaration=declarations[item.requirement],
                                          evidence=_evidence(manager, item.requirement, canteen))
        services.filing_submit(actor=manager, filing=filing)
        designation.refresh_from_db()
    if designation.stage == Stage.SUBMITTED and canteen.region.code != UNDER_REVIEW_CODE:
        filing = services.filing_current(canteen=canteen)
        for item in filing.items.filter(review=Review.PENDING):
            services.item_review(actor=official, item=item, passed=True)
        services.filing_decide(actor=official, filing=filing, on=DESIGNATED_ON)
        # The first annual re-check fell in May 2026 and was done.
        services.designation_recheck(actor=official, canteen=canteen, note="年度复核：各项要求保持达标")
        designation.refresh_from_db()
    return designation.stage


def seed_demo_designations(admin: User) -> dict[str, int]:
    """Every open demo canteen designated, one of 西湖区 under review; returns the count per stage."""
    stages: dict[str, int] = {}
    canteens = Canteen.objects.filter(status=CanteenStatus.OPEN).select_related("region").order_by("region__code")
    for n, canteen in enumerate(canteens, start=1):
        stage = _walk(canteen, n, admin)
        stages[stage] = stages.get(stage, 0) + 1
    return stages
