"""The designation lifecycle through its services: every step, every role on both sides of a
jurisdiction boundary, refusals that change nothing, filing numbers, history, designated spans."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import _system_user, make_canteen
from tests.filing.lifecycle_helpers import (
    fill,
    review_all,
    state,
    store,
    to_designated,
    to_filing,
    to_submitted,
)
from zhucan.canteens.models import Canteen, DesignatedSpan
from zhucan.core import clock
from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.models import AuditLog
from zhucan.filing import services
from zhucan.filing.models import (
    Designation,
    Filing,
    FilingStatus,
    Reminder,
    ReminderKind,
    Review,
    Stage,
)

MISSING = 987654


@pytest.fixture
def world(module_world, db):
    """The world built once for this module (tests/filing/conftest.py: module_world); each test's
    writes roll back with its savepoint."""
    return module_world


@pytest.fixture
def w(world):
    world.district = world.users["district_admin"]
    world.manager = world.users["canteen_manager"]
    world.city = world.users["city_admin"]
    return world


def _refused(call, code: str):
    """The call raises `code` and leaves every lifecycle row and the audit log as they were."""
    before = state()
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.code == code, exc.value
    assert state() == before, "a refused step changed data"
    return exc.value


# ---- the whole lifecycle ------------------------------------------------------------------------


def test_the_whole_lifecycle_designates_with_a_number_facts_and_a_span(w):
    today = clock.local_today()
    designation = to_designated(w.district, w.manager, w.canteen)

    assert designation.stage == Stage.DESIGNATED
    assert designation.filing_number == f"西湖〔{today.year}〕第001号"
    assert designation.designated_on == today
    assert designation.recheck_due == today.replace(year=today.year + 1)
    assert (designation.licence_number, designation.legal_representative) == ("JY13301060012345", "陈建华")
    assert designation.licence_expiry == today + timedelta(days=700)
    assert list(DesignatedSpan.objects.filter(canteen=w.canteen).values_list("start", "end")) == [(today, None)]
    filing = Filing.objects.get(canteen=w.canteen)
    assert (filing.round, filing.status, filing.decided_by_id) == (1, FilingStatus.APPROVED, w.district.pk)
    assert filing.items.filter(review=Review.PASSED).count() == 8
    actions = list(AuditLog.objects.filter(action__startswith="filing.").exclude(action="filing.evidence_store")
                   .values_list("action", "actor_id"))
    assert ("filing.select", w.district.pk) in actions
    assert ("filing.agreement", w.district.pk) in actions
    assert ("filing.open_round", w.district.pk) in actions
    assert ("filing.item_save", w.manager.pk) in actions
    assert ("filing.submit", w.manager.pk) in actions
    assert [a for a in actions if a[0] == "filing.review"] == [("filing.review", w.district.pk)] * 8
    assert ("filing.decide", w.district.pk) in actions and ("filing.designate", w.district.pk) in actions
    assert all(r.region_path == w.canteen.region.path for r in AuditLog.objects.filter(action="filing.designate"))


def test_the_first_agreement_opens_round_one_with_eight_items(w):
    services.canteen_select(actor=w.district, canteen=w.canteen)
    assert Designation.objects.get(canteen=w.canteen).stage == Stage.SELECTED
    assert services.filing_current(canteen=w.canteen) is None
    to_filing_after_select = services.agreement_record(
        actor=w.district, canteen=w.canteen, number="XH-1", party_a="西湖区民政局", party_b="运营公司",
        start_date=date(2026, 1, 1), end_date=date(2028, 12, 31))
    assert to_filing_after_select.scan is None
    filing = services.filing_current(canteen=w.canteen)
    assert (filing.round, filing.status, filing.items.count()) == (1, FilingStatus.DRAFT, 8)
    assert Designation.objects.get(canteen=w.canteen).stage == Stage.FILING


def test_submit_runs_the_automatic_checks_and_moves_the_stage(w):
    filing = to_submitted(w.district, w.manager, w.canteen)
    assert filing.status == FilingStatus.SUBMITTED and filing.submitted_by_id == w.manager.pk
    assert Designation.objects.get(canteen=w.canteen).stage == Stage.SUBMITTED
    f1 = filing.items.get(requirement="F1")
    assert f1.check_result == "passed" and f1.checked_at is not None
    assert any("校验位正确" in line for line in f1.check_detail)
    assert filing.items.get(requirement="F6").check_result == "not_applicable"


def test_a_returned_round_keeps_its_history_and_can_be_resubmitted(w):
    filing = to_submitted(w.district, w.manager, w.canteen)
    review_all(w.district, filing, returned={"F2": "公示屏照片看不清切配间"})
    designation = services.filing_decide(actor=w.district, filing=filing)
    assert designation.stage == Stage.FILING and designation.filing_number is None
    filing.refresh_from_db()
    assert filing.status == FilingStatus.RETURNED
    assert not DesignatedSpan.objects.filter(canteen=w.canteen).exists()

    second = services.filing_resubmit_open(actor=w.manager, canteen=w.canteen)
    assert (second.round, second.status) == (2, FilingStatus.DRAFT)
    assert services.filing_current(canteen=w.canteen) == second
    items = {i.requirement: i for i in second.items.all()}
    assert items["F1"].review == Review.PASSED and items["F1"].reviewed_by_id == w.district.pk
    assert items["F2"].review == Review.PENDING and items["F2"].return_reason == ""
    assert items["F1"].declaration == filing.items.get(requirement="F1").declaration
    assert items["F1"].evidence.count() == 1
    # The returned round is history: exactly as the district left it.
    old = filing.items.get(requirement="F2")
    assert (old.review, old.return_reason) == (Review.RETURNED, "公示屏照片看不清切配间")

    services.filing_item_save(actor=w.manager, item=items["F2"], declaration=items["F2"].declaration,
                              evidence=[store(w.manager, "screen-clear.png")])
    services.filing_submit(actor=w.manager, filing=second)
    services.item_review(actor=w.district, item=items["F2"], passed=True)
    designation = services.filing_decide(actor=w.district, filing=second)
    assert designation.stage == Stage.DESIGNATED
    assert list(Filing.objects.filter(canteen=w.canteen).order_by("round").values_list("status", flat=True)) == [
        FilingStatus.RETURNED, FilingStatus.APPROVED]


def test_changing_a_passed_requirement_needs_its_review_again(w):
    filing = to_submitted(w.district, w.manager, w.canteen)
    review_all(w.district, filing, returned={"F2": "照片不清"})
    services.filing_decide(actor=w.district, filing=filing)
    second = services.filing_resubmit_open(actor=w.manager, canteen=w.canteen)
    f8 = second.items.get(requirement="F8")
    assert f8.review == Review.PASSED
    services.filing_item_save(actor=w.manager, item=f8, declaration=f8.declaration | {"playback_days": 30},
                              evidence=[])
    f8.refresh_from_db()
    assert f8.review == Review.PENDING and f8.reviewed_by is None


def test_filing_numbers_are_unique_readable_and_counted_per_district(w):
    year = clock.local_today().year
    second = make_canteen(w.xihu_sub2, "西溪长者食堂")
    manager2 = w.users["canteen_manager"].__class__.objects.create(username="xixi_mgr", role="canteen_manager",
                                                                   canteen=second)
    first = to_designated(w.district, w.manager, w.canteen)
    again = to_designated(w.district, manager2, second, number="XH-2026-002")
    other = to_designated(w.other["district_admin"], w.other["canteen_manager"], w.other_canteen,
                          number="SC-2026-001")
    assert first.filing_number == f"西湖〔{year}〕第001号"
    assert again.filing_number == f"西湖〔{year}〕第002号"
    assert other.filing_number == f"上城〔{year}〕第001号"


def test_the_year_of_the_number_is_the_year_of_designation(w):
    designation = to_designated(w.district, w.manager, w.canteen, on=date(2025, 12, 20))
    assert designation.filing_number == "西湖〔2025〕第001号"
    assert designation.recheck_due == date(2026, 12, 20)


# ---- suspension, reinstatement, revocation, re-check ------------------------------------------


def _spans(canteen):
    return list(DesignatedSpan.objects.filter(canteen=canteen).order_by("start").values_list("start", "end"))


def test_spans_open_and_close_on_suspend_reinstate_revoke(w):
    d0 = date(2026, 3, 1)
    to_designated(w.district, w.manager, w.canteen, on=d0)
    number = Designation.objects.get(canteen=w.canteen).filing_number

    d = services.designation_suspend(actor=w.district, canteen=w.canteen, reason="食品安全检查不合格",
                                     on=date(2026, 5, 10))
    assert (d.stage, d.stage_reason) == (Stage.SUSPENDED, "食品安全检查不合格")
    assert _spans(w.canteen) == [(d0, date(2026, 5, 10))]

    d = services.designation_reinstate(actor=w.district, canteen=w.canteen, reason="整改复查合格",
                                       on=date(2026, 6, 1))
    assert d.stage == Stage.DESIGNATED and d.filing_number == number
    assert _spans(w.canteen) == [(d0, date(2026, 5, 10)), (date(2026, 6, 1), None)]

    d = services.designation_revoke(actor=w.city, canteen=w.canteen, reason="多次违规", on=date(2026, 9, 1))
    assert d.stage == Stage.REVOKED and d.filing_number == number
    assert _spans(w.canteen) == [(d0, date(2026, 5, 10)), (date(2026, 6, 1), date(2026, 9, 1))]
    assert AuditLog.objects.filter(action="filing.revoke", actor=w.city).count() == 1

    # Revocation is final.
    _refused(lambda: services.designation_reinstate(actor=w.district, canteen=w.canteen, reason="申请恢复"),
             "FILING_WRONG_STAGE")
    _refused(lambda: services.designation_suspend(actor=w.district, canteen=w.canteen, reason="再次暂停"),
             "FILING_WRONG_STAGE")


def test_revoking_a_suspended_canteen_leaves_its_closed_span(w):
    to_designated(w.district, w.manager, w.canteen, on=date(2026, 3, 1))
    services.designation_suspend(actor=w.city, canteen=w.canteen, reason="许可证过期", on=date(2026, 4, 1))
    services.designation_revoke(actor=w.district, canteen=w.canteen, reason="逾期未整改", on=date(2026, 6, 1))
    assert _spans(w.canteen) == [(date(2026, 3, 1), date(2026, 4, 1))]


def test_stage_dates_cannot_reach_back_before_the_span(w):
    to_designated(w.district, w.manager, w.canteen, on=date(2026, 3, 1))
    error = _refused(lambda: services.designation_suspend(actor=w.district, canteen=w.canteen, reason="检查不合格",
                                                          on=date(2026, 2, 1)), "STAGE_DATE_INVALID")
    assert "2026-03-01" in error.message_zh
    services.designation_suspend(actor=w.district, canteen=w.canteen, reason="检查不合格", on=date(2026, 4, 1))
    _refused(lambda: services.designation_reinstate(actor=w.district, canteen=w.canteen, reason="整改",
                                                    on=date(2026, 3, 15)), "STAGE_DATE_INVALID")


def test_a_span_left_open_outside_the_services_refuses_the_designation_precisely(w):
    filing = to_submitted(w.district, w.manager, w.canteen)
    review_all(w.district, filing)
    DesignatedSpan.objects.create(canteen=w.canteen, start=date(2026, 1, 5))
    error = _refused(lambda: services.filing_decide(actor=w.district, filing=filing, on=date(2026, 3, 1)),
                     "SPAN_ALREADY_OPEN")
    assert error.message_zh == "该助餐点已有自2026-01-05起未结束的定点期，请先核对定点记录"
    assert error.http_status == 409


def test_a_span_left_open_outside_the_services_refuses_the_reinstatement_precisely(w):
    to_designated(w.district, w.manager, w.canteen, on=date(2026, 3, 1))
    services.designation_suspend(actor=w.district, canteen=w.canteen, reason="检查不合格", on=date(2026, 4, 1))
    DesignatedSpan.objects.create(canteen=w.canteen, start=date(2026, 5, 1))
    error = _refused(lambda: services.designation_reinstate(actor=w.district, canteen=w.canteen, reason="整改合格",
                                                            on=date(2026, 6, 1)), "SPAN_ALREADY_OPEN")
    assert "2026-05-01" in error.message_zh


def test_stage_changes_need_a_reason(w):
    to_designated(w.district, w.manager, w.canteen)
    _refused(lambda: services.designation_suspend(actor=w.district, canteen=w.canteen, reason="  "),
             "STAGE_REASON_REQUIRED")


def test_the_sweep_suspends_as_the_system_account(w):
    to_designated(w.district, w.manager, w.canteen, on=date(2026, 1, 5))
    d = services.designation_suspend(actor=_system_user(), canteen=w.canteen, reason="食品经营许可证已过期",
                                     on=date(2026, 7, 1))
    assert d.stage == Stage.SUSPENDED
    assert _spans(w.canteen) == [(date(2026, 1, 5), date(2026, 7, 1))]


def test_the_annual_recheck_extends_by_a_year_and_resolves_its_reminder(w):
    to_designated(w.district, w.manager, w.canteen, on=date(2026, 3, 1))
    Reminder.objects.create(canteen=w.canteen, kind=ReminderKind.RECHECK, due=date(2027, 3, 1),
                            raised_at=clock.now())
    d = services.designation_recheck(actor=w.district, canteen=w.canteen, note="现场复核合格")
    assert d.recheck_due == date(2028, 3, 1)
    assert Reminder.objects.get(canteen=w.canteen).resolved_at is not None
    assert AuditLog.objects.filter(action="filing.recheck", actor=w.district).count() == 1


def test_a_renewed_agreement_resolves_the_agreement_reminder(w):
    first = to_filing(w.district, w.canteen)
    Reminder.objects.create(canteen=w.canteen, kind=ReminderKind.AGREEMENT_END, due=first.end_date,
                            raised_at=clock.now())
    renewal = services.agreement_record(actor=w.district, canteen=w.canteen, number="XH-2029-001",
                                        party_a=first.party_a, party_b=first.party_b, start_date=first.end_date,
                                        end_date=first.end_date + timedelta(days=3 * 365), renews=first)
    assert renewal.renews == first
    assert Reminder.objects.get(canteen=w.canteen).resolved_at is not None
    # Renewal does not open another round.
    assert Filing.objects.filter(canteen=w.canteen).count() == 1


# ---- bad input: precise refusals, nothing half-written ------------------------------------------


def test_agreement_refusals(w):
    first = to_filing(w.district, w.canteen)
    today = clock.local_today()

    def record(**kw):
        values = {"actor": w.district, "canteen": w.canteen, "number": "XH-9", "party_a": "甲", "party_b": "乙",
                  "start_date": today, "end_date": today + timedelta(days=365)} | kw
        return lambda: services.agreement_record(**values)

    _refused(record(end_date=today), "AGREEMENT_DATES")
    _refused(record(number=first.number), "AGREEMENT_DUPLICATE")
    _refused(record(scan=store(w.district, "photo.png")), "EVIDENCE_TYPE")
    _refused(record(party_b=""), "VALIDATION_FAILED")


def test_an_agreement_needs_a_selected_canteen(w):
    today = clock.local_today()
    _refused(lambda: services.agreement_record(actor=w.district, canteen=w.canteen, number="X", party_a="甲",
                                               party_b="乙", start_date=today, end_date=today + timedelta(days=9)),
             "FILING_WRONG_STAGE")


def test_selecting_twice_is_refused(w):
    services.canteen_select(actor=w.district, canteen=w.canteen)
    _refused(lambda: services.canteen_select(actor=w.district, canteen=w.canteen), "FILING_ALREADY_SELECTED")


def test_missing_evidence_blocks_the_submission(w):
    to_filing(w.district, w.canteen)
    filing = fill(w.manager, w.canteen)
    f1 = filing.items.get(requirement="F1")
    services.filing_item_save(actor=w.manager, item=f1, declaration=f1.declaration, evidence=[])
    error = _refused(lambda: services.filing_submit(actor=w.manager, filing=filing), "EVIDENCE_MISSING")
    assert "依法登记并具备服务资质" in error.message_zh


def test_an_incomplete_filing_names_its_requirements(w):
    to_filing(w.district, w.canteen)
    filing = fill(w.manager, w.canteen, only=("F1",))
    error = _refused(lambda: services.filing_submit(actor=w.manager, filing=filing), "FILING_INCOMPLETE")
    assert "阳光厨房实时画面" in error.message_zh and "依法登记" not in error.message_zh
    assert len(error.details["problems"]) >= 6


def test_a_declaration_is_validated_and_nothing_is_saved(w):
    to_filing(w.district, w.canteen)
    item = services.filing_current(canteen=w.canteen).items.get(requirement="F1")
    bad = {"credit_code": "91330106MA2ABCDE1X", "licence_number": "JY1", "licence_expiry": "2099-01-01",
           "operator": "某公司", "legal_representative": "某人"}
    _refused(lambda: services.filing_item_save(actor=w.manager, item=item, declaration=bad, evidence=[]),
             "CREDIT_CODE_INVALID")


def test_a_licence_expired_by_the_designation_date_blocks_designation(w):
    today = clock.local_today()
    filing = to_submitted(w.district, w.manager, w.canteen)
    review_all(w.district, filing)
    expiry = today + timedelta(days=700)
    error = _refused(lambda: services.filing_decide(actor=w.district, filing=filing, on=expiry + timedelta(days=1)),
                     "LICENCE_EXPIRED")
    assert expiry.isoformat() in error.message_zh


def test_a_decision_needs_every_requirement_reviewed_and_a_return_needs_a_reason(w):
    filing = to_submitted(w.district, w.manager, w.canteen)
    f2 = filing.items.get(requirement="F2")
    _refused(lambda: services.item_review(actor=w.district, item=f2, passed=False, reason=" "),
             "FILING_REVIEW_REASON_REQUIRED")
    services.item_review(actor=w.district, item=f2, passed=True)
    error = _refused(lambda: services.filing_decide(actor=w.district, filing=filing), "FILING_REVIEW_INCOMPLETE")
    assert "依法登记并具备服务资质" in error.message_zh


def test_a_draft_cannot_be_reviewed_and_a_submitted_round_cannot_be_changed(w):
    to_filing(w.district, w.canteen)
    filing = fill(w.manager, w.canteen)
    item = filing.items.get(requirement="F3")
    _refused(lambda: services.item_review(actor=w.district, item=item, passed=True), "FILING_WRONG_STAGE")
    services.filing_submit(actor=w.manager, filing=filing)
    _refused(lambda: services.filing_item_save(actor=w.manager, item=item, declaration=item.declaration,
                                               evidence=[]), "FILING_NOT_OPEN")
    _refused(lambda: services.filing_submit(actor=w.manager, filing=filing), "FILING_NOT_OPEN")
    _refused(lambda: services.filing_resubmit_open(actor=w.manager, canteen=w.canteen), "FILING_NOT_OPEN")


def test_evidence_of_another_canteen_cannot_be_attached(w):
    to_filing(w.district, w.canteen)
    item = services.filing_current(canteen=w.canteen).items.get(requirement="F2")
    foreign = store(w.other["canteen_manager"], "other.png")
    decl = {"screen_inches": 40, "rooms": ["清洗", "切配", "烹饪", "餐具消毒", "专间"]}
    _refused(lambda: services.filing_item_save(actor=w.manager, item=item, declaration=decl, evidence=[foreign]),
             "NOT_FOUND")


# ---- roles × jurisdiction -------------------------------------------------------------------------

ROLES = ["city_admin", "district_admin", "subdistrict_staff", "canteen_manager", "cashier", "auditor"]

# Who may take each step on 北山长者食堂 (西湖区): "ok", or the refusal's code for the actor on the
# own side / the other side of the boundary.
STEPS = {
    #              city_admin  district_admin   subdistrict  manager          cashier  auditor
    "select":     ("403",      "ok/404",        "403",       "403",           "403",   "403"),
    "agreement":  ("403",      "ok/404",        "403",       "403",           "403",   "403"),
    "item_save":  ("403",      "403",           "403",       "ok/404",        "403",   "403"),
    "submit":     ("403",      "403",           "403",       "ok/404",        "403",   "403"),
    "review":     ("403",      "ok/404",        "403",       "403",           "403",   "403"),
    "decide":     ("403",      "ok/404",        "403",       "403",           "403",   "403"),
    "resubmit":   ("403",      "403",           "403",       "ok/404",        "403",   "403"),
    "suspend":    ("ok/404",   "ok/404",        "403",       "403",           "403",   "403"),
    "reinstate":  ("403",      "ok/404",        "403",       "403",           "403",   "403"),
    "revoke":     ("ok/404",   "ok/404",        "403",       "403",           "403",   "403"),
    "recheck":    ("403",      "ok/404",        "403",       "403",           "403",   "403"),
}


def _prepare(step: str, w):
    """Bring 北山长者食堂 to where `step` can be taken; return the call for an actor."""
    today = clock.local_today()
    c = w.canteen
    if step == "select":
        return lambda a: services.canteen_select(actor=a, canteen=c)
    if step == "agreement":
        services.canteen_select(actor=w.district, canteen=c)
        return lambda a: services.agreement_record(actor=a, canteen=c, number="N-1", party_a="甲", party_b="乙",
                                                   start_date=today, end_date=today + timedelta(days=30))
    if step == "item_save":
        to_filing(w.district, c)
        item = services.filing_current(canteen=c).items.get(requirement="F3")
        return lambda a: services.filing_item_save(actor=a, item=item, declaration={"standard_confirmed": True},
                                                   evidence=[])
    if step == "submit":
        to_filing(w.district, c)
        filing = fill(w.manager, c)
        return lambda a: services.filing_submit(actor=a, filing=filing)
    if step == "review":
        filing = to_submitted(w.district, w.manager, c)
        item = filing.items.get(requirement="F3")
        return lambda a: services.item_review(actor=a, item=item, passed=True)
    if step in ("decide", "resubmit"):
        filing = to_submitted(w.district, w.manager, c)
        review_all(w.district, filing)
        if step == "decide":
            return lambda a: services.filing_decide(actor=a, filing=filing)
        filing.items.filter(requirement="F2").update(review=Review.RETURNED, return_reason="照片不清")
        services.filing_decide(actor=w.district, filing=filing)
        return lambda a: services.filing_resubmit_open(actor=a, canteen=c)
    to_designated(w.district, w.manager, c)
    if step == "reinstate":
        services.designation_suspend(actor=w.district, canteen=c, reason="检查不合格")
    fn = getattr(services, f"designation_{step}")
    if step == "recheck":
        return lambda a: fn(actor=a, canteen=c, note="合格")
    return lambda a: fn(actor=a, canteen=c, reason="依规处理")


@pytest.mark.parametrize("step", list(STEPS))
def test_roles_and_jurisdiction(w, step):
    """Every cell of the step's row on one preparation: a refusal changes nothing (checked by
    _refused), so the refused actors are tried one after the other on the same data; each actor who
    may act does so in a savepoint rolled back after its audit row is checked."""
    from django.db import transaction

    call = _prepare(step, w)
    cells = []
    for role in ROLES:
        own, _, other = STEPS[step][ROLES.index(role)].partition("/")
        cells += [(role, "own", own), (role, "other", other or own)]
    for role, side, expected in sorted(cells, key=lambda cell: cell[2] == "ok"):
        actor = (w.users if side == "own" else w.other)[role]
        try:
            if expected == "ok":
                with transaction.atomic():
                    last = AuditLog.objects.order_by("-id").values_list("id", flat=True).first()
                    call(actor)
                    assert AuditLog.objects.filter(id__gt=last, actor=actor, action__startswith="filing.").exists()
                    transaction.set_rollback(True)
            else:
                _refused(lambda actor=actor: call(actor), {"403": "PERMISSION_DENIED", "404": "NOT_FOUND"}[expected])
        except AssertionError as failure:
            raise AssertionError(f"{step} by {role} ({side} side): {failure}") from failure


def test_not_yours_answers_like_not_found(w):
    to_designated(w.district, w.manager, w.canteen)
    ghost = Canteen(pk=MISSING)
    calls = {
        "suspend": lambda a, c: services.designation_suspend(actor=a, canteen=c, reason="检查"),
        "recheck": lambda a, c: services.designation_recheck(actor=a, canteen=c),
        "select": lambda a, c: services.canteen_select(actor=a, canteen=c),
    }
    for name, call in calls.items():
        with pytest.raises(NotFound) as theirs:
            call(w.other["district_admin"], w.canteen)
        with pytest.raises(NotFound) as missing:
            call(w.other["district_admin"], ghost)
        assert theirs.value.as_dict() == missing.value.as_dict(), name


def test_a_role_that_may_not_act_is_refused_before_any_lookup(w):
    with pytest.raises(PermissionDenied):
        services.canteen_select(actor=w.users["auditor"], canteen=Canteen(pk=MISSING))


def test_the_system_account_can_walk_the_whole_workflow(w):
    """The demo seed and background work act as the platform's superuser system account."""
    system = _system_user()
    designation = to_designated(system, system, w.canteen, on=date(2026, 1, 10))
    assert designation.stage == Stage.DESIGNATED
    assert _spans(w.canteen) == [(date(2026, 1, 10), None)]
