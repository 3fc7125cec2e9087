"""Statement and district-report exports: .xlsx read back with openpyxl, PDF text extracted with
pypdf; the CJK subset font is built once and reused."""

from __future__ import annotations

import logging
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.conftest import make_canteen
from zhucan.core import pdf as core_pdf
from zhucan.regions.models import Region
from zhucan.settlement import exports
from zhucan.settlement.models import Statement, StatementLine
from zhucan.settlement.selectors import DistrictReport, DistrictRow

JUNE = date(2025, 6, 1)
GENERATED = datetime(2025, 7, 1, 1, 30, tzinfo=UTC)  # 09:30 in Asia/Shanghai

# (funder, rule_id, meals, amount_fen)
LINES = [
    ("district", "hz.xihu.extra", 80, 45_005),
    ("city", "hz.city.discount", 120, 123_456),
    ("canteen", "hz.canteen.share", 10, 1_999),
]
BENEFIT = 123_456 + 45_005 + 1_999  # 170,460 fen = 1,704.60 yuan
GROSS = 1_000_001  # 10,000.01 yuan: a value a float sum would not keep exact in every format
PAYABLE = GROSS - BENEFIT  # 829,541 = 8,295.41


def yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def as_decimal(value) -> Decimal:
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return Decimal(str(value))


def make_statement(canteen, *, lines=LINES, month=JUNE, **extra) -> Statement:
    by_funder = {"city": 0, "district": 0, "canteen": 0, "other": 0}
    for funder, _, _, amount in lines:
        by_funder[funder] += amount
    benefit = sum(by_funder.values())
    gross = extra.pop("gross_fen", GROSS)
    values = dict(canteen=canteen, month=month, generated_at=GENERATED, sales=215, reversals=5,
                  elder_meals=210, non_elder_meals=12, elders=37, gross_fen=gross, benefit_fen=benefit,
                  payable_fen=gross - benefit, adjustments=2, adjustments_benefit_fen=-350,
                  mismatches_open=1, mismatches_resolved=3,
                  **{f"benefit_{k}_fen": v for k, v in by_funder.items()})
    values.update(extra)
    statement = Statement.objects.create(**values)
    StatementLine.objects.bulk_create(
        StatementLine(statement=statement, funder=f, rule_id=r, meals=m, amount_fen=a) for f, r, m, a in lines
    )
    return statement


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def pdf_fonts(content: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(BytesIO(content)).pages:
        for ref in page["/Resources"]["/Font"].values():
            fonts.add(str(ref.get_object()["/BaseFont"]).split("+", 1)[-1])
    return fonts


@pytest.fixture
def statement(world, frozen_clock):
    frozen_clock(GENERATED)
    return make_statement(world.canteen)


def test_statement_xlsx_lines_have_yuan_numbers_and_exact_totals(statement):
    wb = load_workbook(BytesIO(exports.statement_xlsx(statement)))
    assert wb.sheetnames == ["汇总", "补贴明细"]
    ws = wb["补贴明细"]
    assert "北山长者食堂" in ws["A1"].value and "2025年6月" in ws["A1"].value
    assert "状态：草稿" in ws["A2"].value
    assert [c.value for c in ws[3]] == ["出资方", "规则编号", "规则名称", "人次", "补贴金额（元）"]
    assert ws.freeze_panes == "A4"
    # Funders in the city → district → canteen order, rule names from the Hangzhou policy.
    assert [ws.cell(row=r, column=1).value for r in (4, 5, 6)] == ["市级", "区级", "助餐点"]
    assert ws["B4"].value == "hz.city.discount" and ws["C4"].value == "按年龄段折扣"
    for row in (4, 5, 6):
        cell = ws.cell(row=row, column=5)
        assert cell.number_format == "#,##0.00"
        assert not isinstance(cell.value, str)
    assert as_decimal(ws["E4"].value) == Decimal("1234.56")
    assert as_decimal(ws["E5"].value) == Decimal("450.05")
    assert [ws["A7"].value, ws["D7"].value] == ["合计", 210]
    assert as_decimal(ws["E7"].value) == yuan(BENEFIT) == Decimal("1704.60")
    assert ws["E7"].number_format == "#,##0.00"
    # A SUM-formula row Excel recomputes, under the value totals.
    assert ws["A8"].value == "公式复核" and ws["D8"].value == "=SUM(D4:D6)" and ws["E8"].value == "=SUM(E4:E6)"


def test_statement_xlsx_summary_figures(statement):
    content = exports.statement_xlsx(statement)
    ws = load_workbook(BytesIO(content))["汇总"]
    assert [c.value for c in ws[3]] == ["项目", "笔数 / 人次", "金额（元）", "说明"]
    assert ws.freeze_panes == "A4"
    rows = {ws.cell(row=r, column=1).value: (ws.cell(row=r, column=2), ws.cell(row=r, column=3))
            for r in range(4, ws.max_row + 1)}
    assert rows["助餐人次（老年人）"][0].value == 210 and rows["服务老人数"][0].value == 37
    money = {"餐费总额": GROSS, "优惠补贴合计": BENEFIT, "其中：市级": 123_456, "其中：区级": 45_005,
             "其中：助餐点": 1_999, "其中：其他": 0, "老人实付": PAYABLE, "跨月调整": -350}
    for label, fen in money.items():
        cell = rows[label][1]
        assert cell.number_format == "#,##0.00", label
        assert as_decimal(cell.value) == yuan(fen), label
    assert rows["跨月调整"][0].value == 2 and rows["核对差异（待处理）"][0].value == 1
    # The stored number is the exact decimal, not a float artefact.
    with zipfile.ZipFile(BytesIO(content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>10000.01</v>" in sheet and "<v>8295.41</v>" in sheet


def test_statement_pdf_has_chinese_figures_totals_and_signatures(statement):
    content = exports.statement_pdf(statement)
    assert content.startswith(b"%PDF")
    pages = PdfReader(BytesIO(content)).pages
    assert len(pages) == 1  # figures, lines and the signature block fit one A4 landscape page
    assert float(pages[0].mediabox.width) > float(pages[0].mediabox.height)
    text = pdf_text(content)
    for expected in ["杭州市西湖区老年助餐服务月度结算单", "北山长者食堂", "杭州市西湖区北山街道", "2025年6月",
                     "草稿", "市级", "区级", "助餐点", "合计", "按年龄段折扣", "hz.city.discount",
                     "1,704.60", "1,234.56", "450.05", "19.99", "10,000.01", "8,295.41", "-3.50",
                     "区县民政部门", "市民政部门", "2025-07-01 09:30"]:
        assert expected in text, expected
    assert "不一致" not in text
    # Everything printed is in the subset: the full Noto CJK font was not needed.
    assert pdf_fonts(content) <= {"Zhucan-CJK-Subset", "Zhucan-CJK-Subset-Bold"}


def test_statement_pdf_flags_lines_that_do_not_add_up(world, frozen_clock):
    frozen_clock(GENERATED)
    statement = make_statement(world.canteen)
    StatementLine.objects.filter(statement=statement, funder="canteen").delete()
    text = pdf_text(exports.statement_pdf(statement))
    assert "不一致" in text and "1,684.61" in text


def test_rare_character_in_a_canteen_name_renders_from_the_full_font(world, frozen_clock):
    frozen_clock(GENERATED)
    canteen = make_canteen(world.xihu_sub, "䶮𠮷长者食堂")  # CJK Ext-A and Ext-B: outside GB2312
    content = exports.statement_pdf(make_statement(canteen))
    assert "䶮𠮷长者食堂" in pdf_text(content)
    fonts = pdf_fonts(content)
    assert "Zhucan-CJK-Subset" in fonts and "Noto-Sans-CJK-SC" in fonts
    wb = load_workbook(BytesIO(exports.statement_xlsx(make_statement(canteen, month=date(2025, 7, 1)))))
    assert "䶮𠮷长者食堂" in wb["汇总"]["A1"].value


def test_subset_font_is_built_once_and_reused(statement):
    path = core_pdf.subset_font_path()
    exports.statement_pdf(statement)
    assert path.exists() and path.stat().st_size > 1_000_000
    before = path.stat()
    exports.statement_pdf(statement)
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


def test_subset_font_build_is_atomic_and_runs_once(tmp_path, settings, caplog):
    """In a fresh VAR_DIR two workers render at once: one builds the font while the other waits
    for it, a later render reuses it, and no temporary file is left behind."""
    settings.VAR_DIR = tmp_path
    caplog.set_level(logging.INFO, logger="zhucan.core.pdf")
    html = "<p>北山 合计 市级 区级 12.50 䶮</p>"
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = list(pool.map(lambda _: core_pdf.render_pdf(html), range(2)))
    path = tmp_path / "fonts" / "zhucan-cjk-subset.otf"
    builds = [r for r in caplog.records if r.getMessage().startswith("building the CJK subset font")]
    assert len(builds) == 1 and path.exists()
    stat = path.stat()
    second = core_pdf.render_pdf(html)
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert len([r for r in caplog.records if r.getMessage().startswith("building the CJK subset font")]) == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["zhucan-cjk-subset.otf", "zhucan-cjk-subset.otf.lock"]
    for content in (*first, second):
        assert "北山 合计 市级 区级 12.50 䶮" in pdf_text(content)  # 䶮: from the full font
        assert "Zhucan-CJK-Subset" in pdf_fonts(content)


def test_pdf_rendering_fetches_no_network_urls(monkeypatch):
    import urllib.request

    opened = []
    real_open = urllib.request.OpenerDirector.open

    def spy(self, url, *args, **kwargs):
        opened.append(getattr(url, "full_url", url))
        return real_open(self, url, *args, **kwargs)

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", spy)
    content = core_pdf.render_pdf('<p>图片</p><img src="http://127.0.0.1:9/x.png">')
    assert "图片" in pdf_text(content)
    assert opened and all(url.startswith("file:") for url in opened)  # the font only


def make_report() -> DistrictReport:
    """The selectors' report type, filled by hand with figures that exercise grouping and the fen."""
    hangzhou = Region(code="330100", name="杭州市", level="city")
    xihu = Region(code="330106", name="西湖区", level="district", parent=hangzhou)
    shangcheng = Region(code="330102", name="上城区", level="district", parent=hangzhou)
    rows = [
        DistrictRow(district=xihu, canteens=12, meals=10_234, elders=1_201, gross_fen=4_000_001,
                    benefit_city_fen=1_234_567, benefit_district_fen=300_001, benefit_canteen_fen=99,
                    benefit_other_fen=0, benefit_fen=1_534_667, payable_fen=2_465_334,
                    statuses={"市级已终审": 11, "草稿": 1}),
        DistrictRow(district=shangcheng, canteens=8, meals=7_001, elders=903, gross_fen=2_000_000,
                    benefit_city_fen=800_003, benefit_district_fen=0, benefit_canteen_fen=1,
                    benefit_other_fen=500, benefit_fen=800_504, payable_fen=1_199_496,
                    statuses={"市级已终审": 8}),
    ]
    totals = DistrictRow(district=None, statuses={"草稿": 1, "市级已终审": 19})
    for name in ("canteens", "meals", "elders", "gross_fen", "benefit_city_fen", "benefit_district_fen",
                 "benefit_canteen_fen", "benefit_other_fen", "benefit_fen", "payable_fen"):
        setattr(totals, name, sum(getattr(r, name) for r in rows))
    return DistrictReport(month=JUNE, scope=hangzhou, rows=rows, totals=totals, generated_at=GENERATED)


def test_district_report_xlsx_totals(frozen_clock):
    frozen_clock(GENERATED)
    ws = load_workbook(BytesIO(exports.district_report_xlsx(make_report()))).active
    assert ws.title == "补贴汇总" and ws["A1"].value == "杭州市老年助餐补贴汇总表（2025年6月）"
    assert [c.value for c in ws[3]] == ["区县", "助餐点数", "助餐人次", "服务老人数", "餐费总额（元）",
                                        "市级补贴（元）", "区级补贴（元）", "助餐点让利（元）", "其他（元）",
                                        "补贴合计（元）", "老人实付（元）", "结算状态"]
    assert ws.freeze_panes == "A4"
    assert ws["A4"].value == "西湖区" and as_decimal(ws["F4"].value) == Decimal("12345.67")
    assert ws["F4"].number_format == "#,##0.00"
    # The statuses in workflow order, whatever order the statements came in.
    assert ws["L4"].value == "草稿 1，市级已终审 11" and ws["L5"].value == "市级已终审 8"
    total = [c.value for c in ws[6]]
    assert total[0] == "合计" and total[1:3] == [20, 17_235]
    assert total[3] is None  # elders are distinct per district: not additive
    expected = [6_000_001, 1_234_567 + 800_003, 300_001, 100, 500, 1_534_667 + 800_504, 3_664_830]
    assert [as_decimal(v) for v in total[4:11]] == [yuan(f) for f in expected]
    assert as_decimal(total[9]) == Decimal("23351.71")
    assert ws["J7"].value == "=SUM(J4:J5)"


def test_district_report_pdf_text(frozen_clock):
    frozen_clock(GENERATED)
    content = exports.district_report_pdf(make_report())
    text = pdf_text(content)
    for expected in ["杭州市老年助餐补贴汇总表", "2025年6月", "西湖区", "上城区", "市级", "区级", "合计",
                     "20,345.70", "23,351.71", "60,000.01", "36,648.30", "17,235", "财政部门", "2025-07-01 09:30"]:
        assert expected in text, expected
    compact = "".join(text.split())  # a long cell wraps inside the table
    assert "草稿1，市级已终审11" in compact and "草稿1，市级已终审19" in compact
    assert pdf_fonts(content) <= {"Zhucan-CJK-Subset", "Zhucan-CJK-Subset-Bold"}


def test_money_must_be_integer_fen():
    with pytest.raises(TypeError):
        exports.table_xlsx(title="t", headers=["a", "金额"], rows=[["x", 12.5]], money_columns=["金额"])
    with pytest.raises(TypeError):
        exports.fen_to_yuan(Decimal("12.5"))
    assert exports.fen_to_yuan(-5) == Decimal("-0.05") and exports.yuan_text(-123_456_789) == "-1,234,567.89"


def test_table_helpers_for_other_reports(frozen_clock):
    frozen_clock(GENERATED)
    headers = ["助餐点", "年度", "人次", "奖补金额（元）"]
    rows = [["北山长者食堂", 2024, 10_500, 1_500_000], ["湖滨长者食堂", 2024, 7_100, 1_000_000]]
    ws = load_workbook(BytesIO(exports.table_xlsx(title="运营奖补", headers=headers, rows=rows,
                                                  money_columns=["奖补金额（元）"], sum_columns=["人次"]))).active
    assert ws.freeze_panes == "A3" and [c.value for c in ws[2]] == headers
    assert [ws["A5"].value, ws["B5"].value, ws["C5"].value] == ["合计", None, 17_600]
    assert as_decimal(ws["D5"].value) == Decimal("25000.00")
    text = pdf_text(exports.table_pdf(title="运营奖补", subtitle="2024年度", headers=headers, rows=rows,
                                      money_columns=[3], totals=["合计", None, 17_600, 2_500_000]))
    assert "运营奖补" in text and "25,000.00" in text and "15,000.00" in text
