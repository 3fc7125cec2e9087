"""Console, district report, exports wiring and the `settle` command."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q, Sum
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.conftest import login
from tests.settlement.conftest import JUNE
from zhucan.checkout.models import Meal
from zhucan.settlement import selectors
from zhucan.settlement import services as S
from zhucan.settlement.models import Statement


@pytest.fixture
def world(world_in_savepoint):
    """The world and its June ledger, built once for this module; each test's writes roll back."""
    return world_in_savepoint


@pytest.fixture
def ledger(ledger_in_savepoint):
    return ledger_in_savepoint


@pytest.fixture
def june(world, ledger):
    S.statement_generate(actor=None, month=JUNE)
    return {s.canteen_id: s for s in Statement.objects.filter(month=JUNE)}


def test_list_is_scoped_and_totals(client, world, june):
    login(client, world.users["district_admin"])
    page = client.get(reverse("settlement:list"), {"month": "2025-06"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "北山长者食堂" in html and "湖滨长者食堂" not in html and "合计（1 份）" in html
    assert "结算" in client.get(reverse("console:workbench")).content.decode()


def test_detail_of_another_district_is_404_like_missing(client, world, june):
    login(client, world.users["district_admin"])
    theirs = june[world.other_canteen.pk]
    assert client.get(reverse("settlement:detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("settlement:detail", args=[999999])).status_code == 404
    before = Statement.objects.get(pk=theirs.pk).status
    assert client.post(reverse("settlement:action", args=[theirs.pk, "approve"])).status_code == 404
    assert Statement.objects.get(pk=theirs.pk).status == before


def test_workflow_through_the_console(client, world, june):
    st = june[world.canteen.pk]
    login(client, world.users["canteen_manager"])
    page = client.get(reverse("settlement:detail", args=[st.pk])).content.decode()
    assert "确认结算单" in page and "审核通过" not in page and "lc.city" not in page
    client.post(reverse("settlement:action", args=[st.pk, "confirm"]))
    assert Statement.objects.get(pk=st.pk).status == "confirmed"
    login(client, world.users["district_admin"])
    client.post(reverse("settlement:action", args=[st.pk, "approve"]))
    login(client, world.users["city_admin"])
    response = client.post(reverse("settlement:action", args=[st.pk, "finalise"]), follow=True)
    assert "已终审" in response.content.decode()
    response = client.post(reverse("settlement:action", args=[st.pk, "pay"]), {"reference": ""}, follow=True)
    assert Statement.objects.get(pk=st.pk).status == "finalised"
    client.post(reverse("settlement:action", args=[st.pk, "pay"]), {"reference": "ZF-001"})
    st.refresh_from_db()
    assert st.status == "paid" and st.paid_reference == "ZF-001"
    page = client.get(reverse("settlement:detail", args=[st.pk])).content.decode()
    assert "statement.finalise" in page and "ZF-001" in page


def test_wrong_role_action_is_403_and_changes_nothing(client, world, june):
    st = june[world.canteen.pk]
    login(client, world.users["auditor"])
    assert client.post(reverse("settlement:action", args=[st.pk, "confirm"])).status_code == 403
    assert Statement.objects.get(pk=st.pk).status == "draft"


def test_illegal_transition_shows_the_message(client, world, june):
    st = june[world.canteen.pk]
    login(client, world.users["district_admin"])
    page = client.post(reverse("settlement:action", args=[st.pk, "approve"]), follow=True).content.decode()
    assert "草稿" in page and Statement.objects.get(pk=st.pk).status == "draft"


def test_generate_form(client, world, ledger):
    login(client, world.users["district_admin"])
    assert client.get(reverse("settlement:generate")).status_code == 200
    response = client.post(reverse("settlement:generate"), {"month": "2025-06"})
    assert response.status_code == 302
    assert list(Statement.objects.values_list("canteen_id", flat=True)) == [world.canteen.pk]
    page = client.post(reverse("settlement:generate"), {"month": "2025-07"}).content.decode()
    assert "尚未结束" in page
    login(client, world.users["canteen_manager"])
    assert client.get(reverse("settlement:generate")).status_code == 403


def test_district_report_numbers(world, ledger, june):
    report = selectors.district_report(actor=world.users["city_admin"], month=JUNE)
    assert [r.name for r in report.rows] == ["上城区", "西湖区"]
    hb, xh = report.rows
    assert (xh.canteens, xh.meals, xh.elders) == (1, 3, 2)
    assert (hb.canteens, hb.meals, hb.elders) == (1, 2, 1)
    bs, hbs = june[world.canteen.pk], june[world.other_canteen.pk]
    assert report.totals.benefit_fen == bs.benefit_fen + hbs.benefit_fen
    assert report.totals.benefit_city_fen == bs.benefit_city_fen + hbs.benefit_city_fen
    assert report.totals.statuses == {"草稿": 2}
    lc = selectors.district_report(actor=world.other["city_admin"], month=JUNE)
    assert [(r.name, r.benefit_city_fen, r.benefit_district_fen) for r in lc.rows] == [
        ("聊城经济技术开发区", 500, 500)]
    mine = selectors.district_report(actor=world.users["district_admin"], month=JUNE)
    assert [r.name for r in mine.rows] == ["西湖区"] and mine.totals.elders == 2


MONEY = ("gross_fen", "benefit_city_fen", "benefit_district_fen", "benefit_canteen_fen", "benefit_other_fen",
         "benefit_fen", "payable_fen")


def ledger_of(district) -> dict:
    """The district's June figures straight from the meals (a reversal carries negative amounts)."""
    meals = Meal.objects.filter(settle_month=JUNE, canteen__region__path__startswith=district.path)
    figures = meals.aggregate(**{f: Sum(f) for f in MONEY},
                              sales=Count("id", filter=Q(kind="sale", elder__isnull=False)),
                              reversals=Count("id", filter=~Q(kind="sale") & Q(elder__isnull=False)))
    figures["meals"] = figures.pop("sales") - figures.pop("reversals")
    return figures


def yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def yuan_text(fen: int) -> str:
    return f"{yuan(fen):,.2f}"


def test_report_xlsx_download_matches_the_ledger_to_the_fen(client, world, june):
    login(client, world.users["city_admin"])
    response = client.get(reverse("settlement:report_export", args=["xlsx"]), {"month": "2025-06"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="district-report-2025-06.xlsx"' in response["Content-Disposition"]
    ws = load_workbook(BytesIO(response.content)).active
    assert ws["A1"].value == "杭州市老年助餐补贴汇总表（2025年6月）"
    headers = [c.value for c in ws[3]]
    column = {h: i for i, h in enumerate(headers)}
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] in ("西湖区", "上城区", "合计")}
    assert set(rows) == {"西湖区", "上城区", "合计"}
    money_headers = {"gross_fen": "餐费总额（元）", "benefit_city_fen": "市级补贴（元）",
                     "benefit_district_fen": "区级补贴（元）", "benefit_canteen_fen": "助餐点让利（元）",
                     "benefit_other_fen": "其他（元）", "benefit_fen": "补贴合计（元）",
                     "payable_fen": "老人实付（元）"}
    totals = dict.fromkeys(MONEY, 0)
    for name, district in (("西湖区", world.xihu), ("上城区", world.shangcheng)):
        ledger = ledger_of(district)
        row = rows[name]
        assert row[column["助餐人次"]] == ledger["meals"]
        for field, header in money_headers.items():
            assert Decimal(str(row[column[header]])) == yuan(ledger[field]), (name, header)
            totals[field] += ledger[field]
    assert rows["西湖区"][column["助餐点数"]] == rows["上城区"][column["助餐点数"]] == 1
    assert rows["西湖区"][column["结算状态"]] == "草稿 1"
    assert ledger_of(world.xihu)["benefit_fen"] > 0  # the figures compared are not all zero
    for field, header in money_headers.items():
        assert Decimal(str(rows["合计"][column[header]])) == yuan(totals[field]), header
    assert "聊城" not in str(list(ws.values))


def test_report_pdf_download_matches_the_ledger(client, world, june):
    login(client, world.users["district_admin"])
    response = client.get(reverse("settlement:report_export", args=["pdf"]), {"month": "2025-06"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    ledger = ledger_of(world.xihu)
    for expected in ["杭州市西湖区老年助餐补贴汇总表", "2025年6月", "西湖区", "合计", "草稿 1", "财政部门",
                     "2025-07-05 10:00", yuan_text(ledger["gross_fen"]), yuan_text(ledger["benefit_fen"]),
                     yuan_text(ledger["benefit_city_fen"]), yuan_text(ledger["payable_fen"])]:
        assert expected in text, expected
    assert "上城区" not in text


def test_report_page_and_statement_exports(client, world, june):
    login(client, world.users["district_admin"])
    page = client.get(reverse("settlement:report"), {"month": "2025-06"})
    assert page.status_code == 200 and "西湖区" in page.content.decode()
    mine, theirs = june[world.canteen.pk], june[world.other_canteen.pk]
    pdf = client.get(reverse("settlement:export", args=[mine.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "北山长者食堂" in "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    xlsx = client.get(reverse("settlement:export", args=[mine.pk, "xlsx"]))
    assert xlsx.status_code == 200 and "北山长者食堂" in load_workbook(BytesIO(xlsx.content))["汇总"]["A1"].value
    assert client.get(reverse("settlement:export", args=[theirs.pk, "xlsx"])).status_code == 404
    # Another district's report is simply not in this user's choices.
    other = client.get(reverse("settlement:report_export", args=["xlsx"]),
                       {"month": "2025-06", "district": world.shangcheng.pk})
    assert other.status_code == 404


def test_report_downloads_of_a_month_without_statements(client, world, june):
    login(client, world.users["district_admin"])
    xlsx = client.get(reverse("settlement:report_export", args=["xlsx"]), {"month": "2025-05"})
    assert xlsx.status_code == 200
    ws = load_workbook(BytesIO(xlsx.content)).active
    assert ws["A1"].value == "杭州市西湖区老年助餐补贴汇总表（2025年5月）" and ws["A4"].value == "合计"
    pdf = client.get(reverse("settlement:report_export", args=["pdf"]), {"month": "2025-05"})
    assert pdf.status_code == 200 and "无数据" in PdfReader(BytesIO(pdf.content)).pages[0].extract_text()


def test_settle_command(world, ledger, capsys):
    call_command("settle", "--month", "2025-06")
    out = capsys.readouterr().out
    assert "3 个助餐点" in out and "西湖区" in out and "聊城经济技术开发区" in out
    assert Statement.objects.filter(month=JUNE).count() == 3
    call_command("settle", "--month", "2025-06", "--district", "330106")
    assert "1 个助餐点" in capsys.readouterr().out
    with pytest.raises(CommandError, match="MONTH_NOT_ENDED"):
        call_command("settle", "--month", "2025-07")
    with pytest.raises(CommandError):
        call_command("settle", "--month", "2025/06")
    with pytest.raises(CommandError):
        call_command("settle", "--month", "2025-06", "--district", "不存在区")
