"""The filing's bad input through the consoles (the manager's /filing/mine/ and the district's
/filing/): each answers with its precise Chinese message or as not found, and writes nothing — no
lifecycle row, no stored file, no designated span, no audit row."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.conftest import login
from zhucan.canteens.models import DesignatedSpan
from zhucan.core import clock
from zhucan.filing import services
from zhucan.filing.models import Filing, FilingStatus

from .lifecycle_helpers import declarations, fill, review_all, state, to_filing, to_submitted


@pytest.fixture
def w(world):
    world.district = world.users["district_admin"]
    world.manager = world.users["canteen_manager"]
    return world


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_a_submission_missing_a_required_evidence_file_names_it_and_writes_nothing(w, client):
    to_filing(w.district, w.canteen)
    filing = fill(w.manager, w.canteen)
    f1 = filing.items.get(requirement="F1")
    services.filing_item_save(actor=w.manager, item=f1, declaration=declarations(w.canteen)["F1"], evidence=[])
    login(client, w.manager)
    before = state()
    response = client.post("/filing/mine/submit/", follow=True)
    assert "“依法登记并具备服务资质”缺少必需的证明材料" in _text(response)
    assert state() == before
    assert Filing.objects.get(pk=filing.pk).status == FilingStatus.DRAFT


def test_a_licence_expired_by_the_designation_date_is_refused_on_the_decision_page(w, client):
    filing = to_submitted(w.district, w.manager, w.canteen)
    review_all(w.district, filing)
    expiry = date.fromisoformat(declarations(w.canteen)["F1"]["licence_expiry"])
    login(client, w.district)
    before = state()
    response = client.post(f"/filing/rounds/{filing.pk}/decide/",
                           {"on": (expiry + timedelta(days=1)).isoformat()}, follow=True)
    assert f"食品经营许可证已于{expiry.isoformat()}到期，不能定点" in _text(response)
    assert state() == before


def test_a_span_left_open_outside_the_services_is_refused_on_the_decision_page(w, client):
    filing = to_submitted(w.district, w.manager, w.canteen)
    review_all(w.district, filing)
    DesignatedSpan.objects.create(canteen=w.canteen, start=clock.local_today() - timedelta(days=30))
    login(client, w.district)
    before = state()
    response = client.post(f"/filing/rounds/{filing.pk}/decide/", {"on": ""}, follow=True)
    assert response.status_code == 200
    start = (clock.local_today() - timedelta(days=30)).isoformat()
    assert f"该助餐点已有自{start}起未结束的定点期，请先核对定点记录" in _text(response)
    assert state() == before


def test_a_district_that_does_not_own_the_canteen_can_neither_review_nor_decide(w, client):
    filing = to_submitted(w.district, w.manager, w.canteen)
    item = filing.items.get(requirement="F2")
    login(client, w.other["district_admin"])
    before = state()
    for url, data in ((f"/filing/items/{item.pk}/review/", {"decision": "pass"}),
                      (f"/filing/items/{item.pk}/review/", {"decision": "return", "reason": "不合格"}),
                      (f"/filing/rounds/{filing.pk}/decide/", {"on": ""})):
        response = client.post(url, data)
        assert response.status_code == 404, url
        assert "不存在或无权查看" in _text(response), url
    assert state() == before


def test_a_manager_of_another_canteen_can_neither_file_submit_nor_reopen_it(w, client):
    to_filing(w.district, w.canteen)
    filing = fill(w.manager, w.canteen)
    f3 = filing.items.get(requirement="F3")
    login(client, w.other["canteen_manager"])
    before = state()
    response = client.post(f"/filing/mine/items/{f3.pk}/", {"standard_confirmed": "on"})
    assert response.status_code == 404
    assert "备案要求不存在或无权查看" in _text(response)
    assert "当前没有可提交的备案" in _text(client.post("/filing/mine/submit/", follow=True))
    client.post("/filing/mine/resubmit/", follow=True)
    assert state() == before
    assert Filing.objects.get(canteen=w.canteen).status == FilingStatus.DRAFT
