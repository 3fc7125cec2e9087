"""Console, district report, exports wiring and the `settle` command."""

from __future__ import annotations

import sys
import types

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.conftest import login
from tests.settlement.conftest import JUNE
from zhucan.settlement import selectors
from zhucan.settlement import services as S
from zhucan.settlement.models import Statement


@pytest.fixture
def june(world, ledger):
    S.statement_generate(actor=None, month=JUNE)
    return {s.canteen_id: s for s in Statement.objects.filter(month=JUNE)}


@pytest.fixture
def fake_exports(monkeypatch):
    mod = types.ModuleType("zhucan.settlement.exports")
    mod.statement_xlsx = lambda st: b"XLSX" + str(st.pk).encode()
    mod.statement_pdf = lambda st: b"%PDF" + str(st.pk).encode()
    mod.district_report_xlsx = lambda report: b"XLSX" + str(report.totals.benefit_fen).encode()
    mod.district_report_pdf = lambda report: b"%PDF" + str(report.totals.benefit_fen).encode()
    monkeypatch.setitem(sys.modules, "zhucan.settlement.exports", mod)
    import zhucan.settlement as pkg

    monkeypatch.setattr(pkg, "exports", mod, raising=False)
    return mod


def test_list_is_scoped_and_totals(client, world, june):
    login(client, world.users["district_admin"])
    page = client.get(reverse("settlement:list"), {"month": "2025-06"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "北山长者食堂" in html and "湖滨长者食堂" not in html and "合计（1 份）" in html
    assert "结算" in client.get(reverse("console:home")).content.decode()


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


def test_report_page_and_exports(client, world, june, fake_exports):
    login(client, world.users["district_admin"])
    page = client.get(reverse("settlement:report"), {"month": "2025-06"})
    assert page.status_code == 200 and "西湖区" in page.content.decode()
    xlsx = client.get(reverse("settlement:report_export", args=["xlsx"]), {"month": "2025-06"})
    assert xlsx.status_code == 200 and xlsx.content == b"XLSX" + str(june[world.canteen.pk].benefit_fen).encode()
    mine, theirs = june[world.canteen.pk], june[world.other_canteen.pk]
    assert client.get(reverse("settlement:export", args=[mine.pk, "pdf"])).content == b"%PDF" + str(mine.pk).encode()
    assert client.get(reverse("settlement:export", args=[theirs.pk, "xlsx"])).status_code == 404
    # Another district's report is simply not in this user's choices.
    other = client.get(reverse("settlement:report_export", args=["xlsx"]),
                       {"month": "2025-06", "district": world.shangcheng.pk})
    assert other.status_code == 404


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
