"""Helpers of the lifecycle tests: real evidence files, complete declarations, and the canteen
walked through the real services up to a given stage."""

from __future__ import annotations

import io
from datetime import date, timedelta

from zhucan.core import clock


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def store(actor, name: str = "licence.png", data: bytes | None = None):
    from zhucan.filing.evidence import evidence_store

    if data is None:
        data = pdf_bytes() if name.endswith(".pdf") else png_bytes()
    return evidence_store(actor=actor, data=data, file_name=name)


def credit_code(first17: str = "91330106MA2ABCDE1") -> str:
    from zhucan.filing.requirements import credit_check_character

    return first17 + credit_check_character(first17)


def declarations(canteen, *, licence_expiry: date | None = None) -> dict[str, dict]:
    """A complete, valid declaration for each requirement that applies to `canteen`."""
    from zhucan.regions.models import Level, Region

    expiry = licence_expiry or clock.local_today() + timedelta(days=700)
    community = Region.objects.filter(level=Level.COMMUNITY, path__startswith=canteen.region.path).first()
    out = {
        "F1": {"credit_code": credit_code(), "licence_number": "JY13301060012345", "licence_expiry": expiry.isoformat(),
               "operator": canteen.operator, "legal_representative": "陈建华"},
        "F2": {"screen_inches": 43, "rooms": ["清洗", "切配", "烹饪", "餐具消毒", "专间"]},
        "F3": {"standard_confirmed": True},
        "F4": {"realtime_confirmed": True},
        "F5": {"terminal_confirmed": True},
        "F7": {"online_ordering": True, "home_delivery": True, "coverage": [community.pk]},
        "F8": {"cameras": 2, "live_view": True, "playback_days": 15},
    }
    if canteen.open_to_public:
        out["F6"] = {"priority_window": True, "reserved_tables": 2}
    return out


EVIDENCE_FOR = {"F1": "licence.pdf", "F2": "screen.png", "F6": "window.png"}


def fill(manager, canteen, *, only: tuple[str, ...] | None = None, licence_expiry: date | None = None):
    """The manager declares every applicable requirement of the open round, with evidence."""
    from zhucan.filing.services import filing_current, filing_item_save

    filing = filing_current(canteen=canteen)
    decl = declarations(canteen, licence_expiry=licence_expiry)
    for item in filing.items.all():
        if item.requirement not in decl or (only and item.requirement not in only):
            continue
        files = [store(manager, EVIDENCE_FOR[item.requirement])] if item.requirement in EVIDENCE_FOR else []
        filing_item_save(actor=manager, item=item, declaration=decl[item.requirement], evidence=files)
    return filing


def to_filing(district_admin, canteen, *, number: str = "XH-2026-001"):
    from zhucan.filing.services import agreement_record, canteen_select

    canteen_select(actor=district_admin, canteen=canteen, note="街道推荐，场地达标")
    today = clock.local_today()
    return agreement_record(actor=district_admin, canteen=canteen, number=number, party_a="杭州市西湖区民政局",
                            party_b=canteen.operator, start_date=today, end_date=today + timedelta(days=3 * 365),
                            scan=store(district_admin, "agreement.pdf"))


def to_submitted(district_admin, manager, canteen, **kw):
    from zhucan.filing.services import filing_submit

    to_filing(district_admin, canteen, **kw)
    filing = fill(manager, canteen)
    return filing_submit(actor=manager, filing=filing)


def review_all(district_admin, filing, returned: dict[str, str] | None = None):
    from zhucan.filing.services import item_review

    returned = returned or {}
    for item in filing.items.all():
        item_review(actor=district_admin, item=item, passed=item.requirement not in returned,
                    reason=returned.get(item.requirement, ""))


def to_designated(district_admin, manager, canteen, on: date | None = None, **kw):
    from zhucan.filing.services import filing_decide

    filing = to_submitted(district_admin, manager, canteen, **kw)
    review_all(district_admin, filing)
    return filing_decide(actor=district_admin, filing=filing, on=on)


def state() -> dict:
    """Every row of the lifecycle's tables and the audit log, all fields (minus file contents)."""
    from zhucan.canteens.models import DesignatedSpan
    from zhucan.core.models import AuditLog
    from zhucan.filing import models as m

    def rows(qs):
        return sorted(qs.values(), key=lambda r: r["id"])

    return {
        "designation": rows(m.Designation.objects.all()),
        "agreement": rows(m.Agreement.objects.all()),
        "filing": rows(m.Filing.objects.all()),
        "item": rows(m.FilingItem.objects.all()),
        "item_evidence": sorted(m.FilingItem.evidence.through.objects.values_list("filingitem_id", "evidence_id")),
        "evidence": sorted(m.Evidence.objects.values_list("id", "sha256")),
        "reminder": rows(m.Reminder.objects.all()),
        "span": rows(DesignatedSpan.objects.all()),
        "audit": rows(AuditLog.objects.all()),
    }
