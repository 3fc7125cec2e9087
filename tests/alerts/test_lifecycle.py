"""An alert's life: open → assigned → investigating → confirmed (the benefit recovered as a
settlement adjustment in the next open month, a finalised month skipped) or dismissed; every step
audited; precise refusals that change nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.alerts.conftest import at, sell
from tests.conftest import _system_user, make_user
from zhucan.alerts.detection import detect
from zhucan.alerts.models import Alert
from zhucan.alerts.services import alert_assign, alert_close, alert_investigate, alert_raise, recoverable_fen
from zhucan.core.errors import DomainError
from zhucan.core.models import AuditLog
from zhucan.elders.services import ElderData, elder_update
from zhucan.settlement import services as S
from zhucan.settlement.exports import statement_xlsx
from zhucan.settlement.models import Adjustment

FEB, MAR = date(2026, 2, 1), date(2026, 3, 1)


def _code(call) -> str:
    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.code


@pytest.fixture
def deceased_alert(world, menu, today):
    """张秀英 ate on 20 Feb and 9 Mar (4.50 benefit each, city); her death on 15 Feb is registered
    late; February's statement of 北山 is finalised before the alert is handled."""
    sell(world.canteen, world.elder, menu["套餐"], "2026-02-20 11:30")
    sell(world.canteen, world.elder, menu["套餐"], "2026-03-09 11:30")
    e = world.elder
    elder_update(actor=_system_user(), elder_id=e.pk,
                 data=ElderData(name=e.name, id_number="", community=e.community, status="deceased",
                                status_since=date(2026, 2, 15)))
    u = world.users
    (feb,) = [s for s in S.statement_generate(actor=None, month=FEB) if s.canteen_id == world.canteen.pk]
    S.statement_confirm(actor=u["canteen_manager"], statement_id=feb.pk)
    S.statement_approve(actor=u["district_admin"], statement_id=feb.pk)
    S.statement_finalise(actor=u["city_admin"], statement_id=feb.pk)
    detect(day=date(2026, 3, 9))
    return Alert.objects.get(rule="elder.after_status")


def test_confirmed_alert_recovers_the_benefit_in_the_next_open_month(world, deceased_alert, frozen_clock):
    u, alert = world.users, deceased_alert
    district = u["district_admin"]
    assert alert.meals.count() == 2 and recoverable_fen(alert) == 900
    # Wrong role, wrong assignee, wrong order: refused, nothing written.
    assert _code(lambda: alert_assign(actor=u["subdistrict_staff"], alert_id=alert.pk,
                                      assignee_id=district.pk)) == "PERMISSION_DENIED"
    assert _code(lambda: alert_assign(actor=district, alert_id=alert.pk,
                                      assignee_id=u["subdistrict_staff"].pk)) == "ALERT_ASSIGNEE"
    assert _code(lambda: alert_assign(actor=world.other["district_admin"], alert_id=alert.pk,
                                      assignee_id=district.pk)) == "NOT_FOUND"
    assert _code(lambda: alert_close(actor=district, alert_id=alert.pk, confirmed=False,
                                     reason="x")) == "ALERT_WRONG_STATUS"
    colleague = make_user("xihu_inspector", "district_admin", region=world.xihu)
    alert = alert_assign(actor=district, alert_id=alert.pk, assignee_id=colleague.pk, note="请核实")
    assert (alert.status, alert.assignee_id) == ("assigned", colleague.pk)
    alert = alert_investigate(actor=colleague, alert_id=alert.pk)
    assert alert.status == "investigating"
    assert _code(lambda: alert_close(actor=colleague, alert_id=alert.pk, confirmed=True, reason="属实",
                                     recovery_fen=901)) == "ALERT_RECOVERY_TOO_LARGE"
    assert _code(lambda: alert_close(actor=colleague, alert_id=alert.pk, confirmed=True,
                                     reason=" ")) == "ALERT_REASON_REQUIRED"
    assert Adjustment.objects.count() == 0
    alert = alert_close(actor=colleague, alert_id=alert.pk, confirmed=True, reason="家属代领，已核实")
    assert (alert.status, alert.recovery_fen) == ("confirmed", 900)
    # February is finalised: the whole recovery lands in March, as the city's funds (who paid it).
    (adj,) = Adjustment.objects.all()
    assert (adj.canteen_id, adj.month, adj.city_fen, adj.amount_fen) == (world.canteen.pk, MAR, -900, -900)
    assert (adj.source, adj.source_id) == ("alerts.alert", str(alert.pk))
    assert _code(lambda: alert_close(actor=colleague, alert_id=alert.pk, confirmed=True,
                                     reason="再次")) == "ALERT_WRONG_STATUS"
    steps = list(AuditLog.objects.filter(object_type="alerts.alert", object_id=str(alert.pk))
                 .order_by("id").values_list("action", "actor__username"))
    assert steps == [("alerts.raise", None), ("alerts.assign", "xihu_admin"),
                     ("alerts.investigate", "xihu_inspector"), ("alerts.confirm", "xihu_inspector")]
    assert AuditLog.objects.filter(action="statement.adjust", note__contains="家属代领").count() == 1

    # March's statement carries the recovery beside the ledger's figures and still re-checks.
    frozen_clock(at("2026-04-02 09:00"))
    (mar,) = [s for s in S.statement_generate(actor=None, month=MAR) if s.canteen_id == world.canteen.pk]
    assert (mar.benefit_fen, mar.adj_count, mar.adj_city_fen, mar.adj_fen) == (450, 1, -900, -900)
    assert mar.net_benefit_fen == -450
    assert S.statement_check(mar)[0] == []
    summary = load_workbook(BytesIO(statement_xlsx(mar))).active
    rows = {r[0]: r[1:3] for r in summary.iter_rows(values_only=True) if r and r[0]}
    assert rows["追回与核减"] == (1, Decimal("-9.00")) and rows["应拨付补贴"][1] == Decimal("-4.50")
    S.statement_confirm(actor=world.users["canteen_manager"], statement_id=mar.pk)
    S.statement_approve(actor=district, statement_id=mar.pk)
    # A recovery changed behind the statement's back is caught at finalise.
    Adjustment.objects.filter(pk=adj.pk).update(city_fen=-800, amount_fen=-800)
    assert _code(lambda: S.statement_finalise(actor=world.users["city_admin"],
                                              statement_id=mar.pk)) == "STATEMENT_LEDGER_MISMATCH"


def test_a_partial_recovery_and_a_meal_recovered_only_once(world, deceased_alert):
    district = world.users["district_admin"]
    twin = alert_raise(rule="elder.after_status", occurred_at=deceased_alert.occurred_at, title="同一餐次的另一预警",
                       canteen=world.canteen, dedupe_key="twin", meal_ids=list(deceased_alert.meals.values_list(
                           "pk", flat=True)))
    for a in (deceased_alert, twin):
        alert_assign(actor=district, alert_id=a.pk, assignee_id=district.pk)
    alert_close(actor=district, alert_id=deceased_alert.pk, confirmed=True, reason="属实", recovery_fen=300)
    assert Adjustment.objects.get().amount_fen == -300
    # The other alert's meals are the same: their benefit was already recovered.
    assert recoverable_fen(Alert.objects.get(pk=twin.pk)) == 0
    assert _code(lambda: alert_close(actor=district, alert_id=twin.pk, confirmed=True, reason="属实",
                                     recovery_fen=1)) == "ALERT_RECOVERY_NOTHING"
    alert = alert_close(actor=district, alert_id=twin.pk, confirmed=False, reason="与前一条重复")
    assert (alert.status, alert.recovery_fen, alert.close_reason) == ("dismissed", 0, "与前一条重复")
    assert AuditLog.objects.filter(action="alerts.dismiss", object_id=str(twin.pk)).count() == 1


def test_an_adjustment_into_a_month_with_a_draft_updates_the_draft(world, menu, frozen_clock):
    frozen_clock(at("2026-04-02 09:00"))
    sell(world.canteen, world.elder, menu["套餐"], "2026-03-09 11:30")
    (mar,) = [s for s in S.statement_generate(actor=None, month=MAR) if s.canteen_id == world.canteen.pk]
    assert _code(lambda: S.adjustment_record(actor=world.users["subdistrict_staff"], canteen_id=world.canteen.pk,
                                             amounts_fen={"city": -100}, reason="x", start=MAR)) == "PERMISSION_DENIED"
    assert _code(lambda: S.adjustment_record(actor=world.other["district_admin"], canteen_id=world.canteen.pk,
                                             amounts_fen={"city": -100}, reason="x", start=MAR)) == "NOT_FOUND"
    S.adjustment_record(actor=world.users["district_admin"], canteen_id=world.canteen.pk,
                        amounts_fen={"city": -100, "district": -20}, reason="核减", start=date(2026, 3, 9))
    mar.refresh_from_db()
    assert (mar.status, mar.adj_count, mar.adj_city_fen, mar.adj_district_fen, mar.adj_fen) == ("draft", 1, -100,
                                                                                                  -20, -120)
    assert S.statement_check(mar)[0] == []
