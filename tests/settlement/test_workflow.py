"""Workflow: draft → confirmed/disputed → approved → finalised → paid; every illegal step refused
with nothing changed; scope: another district's statement is "not found"."""

from __future__ import annotations

import pytest

from tests.checkout.conftest import at
from tests.settlement.conftest import JUNE
from zhucan.checkout import services as C
from zhucan.checkout.locks import is_locked, open_settle_month
from zhucan.checkout.models import LockedMonth, Meal, ReportMismatch
from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.models import AuditLog
from zhucan.settlement import services as S
from zhucan.settlement.models import Statement, StatementLine


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


def state():
    return (list(Statement.objects.order_by("pk").values()), list(StatementLine.objects.order_by("pk").values()),
            AuditLog.objects.count(), list(ReportMismatch.objects.order_by("pk").values()),
            list(LockedMonth.objects.order_by("pk").values()))


def refused(code, fn, **kw):
    before = state()
    with pytest.raises(DomainError) as err:
        fn(**kw)
    assert err.value.code == code, err.value
    assert state() == before
    return err.value


def test_full_workflow_with_the_right_roles(world, june):
    u = world.users
    st = june[world.canteen.pk]
    st = S.statement_confirm(actor=u["canteen_manager"], statement_id=st.pk)
    assert st.status == "confirmed" and st.confirmed_by == u["canteen_manager"]
    assert sum(ln.amount_fen for ln in st.lines.all()) == st.benefit_fen
    st = S.statement_approve(actor=u["district_admin"], statement_id=st.pk)
    assert st.status == "approved"
    st = S.statement_finalise(actor=u["city_admin"], statement_id=st.pk)
    assert st.status == "finalised" and st.locked
    assert is_locked(world.canteen.pk, JUNE) and not is_locked(world.other_canteen.pk, JUNE)
    st = S.statement_mark_paid(actor=u["city_admin"], statement_id=st.pk, reference="HZ-2025-07-0001")
    assert st.status == "paid" and st.paid_reference == "HZ-2025-07-0001"
    actions = list(AuditLog.objects.filter(object_type="settlement.statement", object_id=str(st.pk))
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["statement.confirm", "statement.approve", "statement.finalise", "statement.mark_paid"]
    row = AuditLog.objects.get(action="statement.finalise")
    assert row.before["status"] == "approved" and row.after["status"] == "finalised"
    assert row.region_path == world.canteen.region.path


def test_illegal_transitions_are_refused_and_change_nothing(world, june):
    u = world.users
    st = june[world.canteen.pk]
    err = refused("STATEMENT_BAD_TRANSITION", S.statement_approve, actor=u["district_admin"], statement_id=st.pk)
    assert "草稿" in err.message_zh and "draft" in err.message_en
    refused("STATEMENT_BAD_TRANSITION", S.statement_finalise, actor=u["city_admin"], statement_id=st.pk)
    refused("STATEMENT_BAD_TRANSITION", S.statement_mark_paid, actor=u["city_admin"], statement_id=st.pk,
            reference="X1")
    refused("REFERENCE_REQUIRED", S.statement_mark_paid, actor=u["city_admin"], statement_id=st.pk, reference=" ")
    S.statement_confirm(actor=u["canteen_manager"], statement_id=st.pk)
    refused("STATEMENT_BAD_TRANSITION", S.statement_confirm, actor=u["canteen_manager"], statement_id=st.pk)
    refused("STATEMENT_BAD_TRANSITION", S.statement_finalise, actor=u["city_admin"], statement_id=st.pk)
    S.statement_approve(actor=u["district_admin"], statement_id=st.pk)
    refused("STATEMENT_BAD_TRANSITION", S.statement_dispute, actor=u["canteen_manager"], statement_id=st.pk,
            note="晚了")
    S.statement_finalise(actor=u["city_admin"], statement_id=st.pk)
    refused("STATEMENT_BAD_TRANSITION", S.statement_regenerate, actor=u["district_admin"], statement_id=st.pk,
            note="再来")
    refused("STATEMENT_BAD_TRANSITION", S.statement_finalise, actor=u["city_admin"], statement_id=st.pk)


@pytest.mark.parametrize(("role", "fn", "kw"), [
    ("district_admin", S.statement_confirm, {}),
    ("city_admin", S.statement_confirm, {}),
    ("canteen_manager", S.statement_approve, {}),
    ("city_admin", S.statement_approve, {}),
    ("district_admin", S.statement_finalise, {}),
    ("auditor", S.statement_mark_paid, {"reference": "R"}),
    ("cashier", S.statement_dispute, {"note": "不对"}),
])
def test_wrong_role_is_refused(world, june, role, fn, kw):
    before = state()
    with pytest.raises(PermissionDenied):
        fn(actor=world.users[role], statement_id=june[world.canteen.pk].pk, **kw)
    assert state() == before


def test_other_jurisdiction_is_not_found(world, june):
    theirs = june[world.other_canteen.pk]
    before = state()
    with pytest.raises(NotFound):
        S.statement_confirm(actor=world.users["canteen_manager"], statement_id=theirs.pk)
    S.statement_confirm(actor=world.other["canteen_manager"], statement_id=theirs.pk)
    before = state()
    for fn in (S.statement_approve,):
        with pytest.raises(NotFound) as missing:
            fn(actor=world.users["district_admin"], statement_id=theirs.pk)
        with pytest.raises(NotFound) as absent:
            fn(actor=world.users["district_admin"], statement_id=999999)
        assert missing.value.as_dict() == absent.value.as_dict()
    with pytest.raises(NotFound):  # Liaocheng's city cannot finalise Hangzhou
        S.statement_finalise(actor=world.other["city_admin"], statement_id=theirs.pk)
    assert state() == before
    assert S.statement_approve(actor=world.other["district_admin"], statement_id=theirs.pk).status == "approved"


def test_dispute_then_resolve_by_regeneration_or_acceptance(world, june, ledger):
    from tests.settlement.conftest import sell

    u = world.users
    st = june[world.canteen.pk]
    refused("NOTE_REQUIRED", S.statement_dispute, actor=u["canteen_manager"], statement_id=st.pk, note="  ")
    S.statement_dispute(actor=u["canteen_manager"], statement_id=st.pk, note="少算了6月30日的一餐")
    refused("STATEMENT_DISPUTED", S.statement_approve, actor=u["district_admin"], statement_id=st.pk)
    refused("STATEMENT_BAD_TRANSITION", S.statement_confirm, actor=u["canteen_manager"], statement_id=st.pk)
    # A late June record lands; the district regenerates the canteen's draft.
    sell(world.canteen, world.elder, ledger.dish[world.canteen.pk], "bs-late", "2025-06-30 11:30")
    st = S.statement_resolve_dispute(actor=u["district_admin"], statement_id=st.pk, regenerate=True,
                                     note="已补录")
    assert st.status == "draft" and st.elder_meals == 4 and S.statement_check(st)[0] == []
    S.statement_dispute(actor=u["canteen_manager"], statement_id=st.pk, note="仍有疑问")
    st = S.statement_resolve_dispute(actor=u["district_admin"], statement_id=st.pk, regenerate=False,
                                     note="经核对无误")
    assert st.status == "confirmed"
    assert S.statement_approve(actor=u["district_admin"], statement_id=st.pk).status == "approved"


def test_finalise_refused_with_a_tampered_ledger(world, june):
    u = world.users
    st = june[world.canteen.pk]
    S.statement_confirm(actor=u["canteen_manager"], statement_id=st.pk)
    S.statement_approve(actor=u["district_admin"], statement_id=st.pk)
    meal = Meal.objects.filter(canteen=world.canteen, settle_month=JUNE, kind="sale").first()
    Meal.objects.filter(pk=meal.pk).update(gross_fen=meal.gross_fen + 100, payable_fen=meal.payable_fen + 100)
    err = refused("STATEMENT_LEDGER_MISMATCH", S.statement_finalise, actor=u["city_admin"], statement_id=st.pk)
    assert "gross_fen" in err.message_en
    assert not is_locked(world.canteen.pk, JUNE)
    # The district regenerates; the canteen confirms again; now it closes.
    S.statement_regenerate(actor=u["district_admin"], statement_id=st.pk, note="台账更正后重新生成")
    S.statement_confirm(actor=u["canteen_manager"], statement_id=st.pk)
    S.statement_approve(actor=u["district_admin"], statement_id=st.pk)
    assert S.statement_finalise(actor=u["city_admin"], statement_id=st.pk).status == "finalised"


def test_finalise_refused_when_a_benefit_moved_between_funders(world, june, ledger):
    st = june[ledger.lc_canteen.pk]
    S.statement_confirm(actor=S_user(world, ledger, "manager"), statement_id=st.pk)
    S.statement_approve(actor=S_user(world, ledger, "district"), statement_id=st.pk)
    meal = Meal.objects.filter(canteen=ledger.lc_canteen, benefit_district_fen__gt=0).first()
    Meal.objects.filter(pk=meal.pk).update(benefit_city_fen=meal.benefit_city_fen + meal.benefit_district_fen,
                                           benefit_district_fen=0)
    err = refused("STATEMENT_LEDGER_MISMATCH", S.statement_finalise, actor=world.other["city_admin"],
                  statement_id=st.pk)
    assert "benefit_city_fen" in err.message_en


def S_user(world, ledger, which):
    from tests.conftest import make_user
    from zhucan.accounts.models import User

    if which == "manager":
        return User.objects.filter(username="lc_mgr").first() or make_user("lc_mgr", "canteen_manager",
                                                                            canteen=ledger.lc_canteen)
    return User.objects.filter(username="lc_zone").first() or make_user("lc_zone", "district_admin",
                                                                         region=world.lc_zone)


def test_finalise_refused_with_an_open_mismatch_then_resolved(world, ledger, menu=None):
    from zhucan.canteens.models import Dish

    dish = Dish.objects.get(canteen=world.canteen, name="套餐")
    reported = C.meal_commit(canteen=world.canteen, elder=world.elder,
                             lines=[C.OrderLine(quantity=1, name=dish.name, unit_price_fen=1500)],
                             idempotency_key="rep1", request_digest="rep1", identified_by="card",
                             at=at("2025-06-20 11:30"), mode="report", reported_benefit_fen=900).meal
    mm = ReportMismatch.objects.get(meal=reported)
    S.statement_generate(actor=None, month=JUNE)
    st = Statement.objects.get(canteen=world.canteen, month=JUNE)
    assert (st.mismatches_open, st.mismatches_resolved) == (1, 0)
    u = world.users
    S.statement_confirm(actor=u["canteen_manager"], statement_id=st.pk)
    S.statement_approve(actor=u["district_admin"], statement_id=st.pk)
    err = refused("OPEN_MISMATCHES", S.statement_finalise, actor=u["city_admin"], statement_id=st.pk)
    assert "1" in err.message_zh
    # Only a district admin of that district resolves it; a rejection needs a note.
    with pytest.raises(PermissionDenied):
        S.mismatch_resolve(actor=u["city_admin"], mismatch_id=mm.pk, accept=True, note="")
    with pytest.raises(NotFound):
        S.mismatch_resolve(actor=world.other["district_admin"], mismatch_id=mm.pk, accept=True, note="")
    refused("NOTE_REQUIRED", S.mismatch_resolve, actor=u["district_admin"], mismatch_id=mm.pk, accept=False,
            note="")
    mm = S.mismatch_resolve(actor=u["district_admin"], mismatch_id=mm.pk, accept=False, note="终端折扣设置错误")
    assert mm.status == "rejected" and mm.resolved_by == u["district_admin"] and mm.resolved_at
    refused("MISMATCH_ALREADY_RESOLVED", S.mismatch_resolve, actor=u["district_admin"], mismatch_id=mm.pk,
            accept=True, note="")
    st.refresh_from_db()
    assert (st.mismatches_open, st.mismatches_resolved) == (0, 1)
    assert S.statement_finalise(actor=u["city_admin"], statement_id=st.pk).status == "finalised"


def test_locked_month_sends_corrections_to_the_next_open_month(world, june):
    u = world.users
    st = june[world.canteen.pk]
    assert open_settle_month(world.canteen.pk, JUNE.replace(day=20)) == JUNE
    S.statement_confirm(actor=u["canteen_manager"], statement_id=st.pk)
    S.statement_approve(actor=u["district_admin"], statement_id=st.pk)
    S.statement_finalise(actor=u["city_admin"], statement_id=st.pk)
    from datetime import date

    assert open_settle_month(world.canteen.pk, date(2025, 6, 20)) == date(2025, 7, 1)
    assert open_settle_month(world.other_canteen.pk, date(2025, 6, 20)) == JUNE
    assert open_settle_month(world.canteen.pk, date(2025, 5, 3)) == date(2025, 5, 1)
