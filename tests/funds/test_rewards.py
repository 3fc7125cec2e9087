"""LC-5 operating rewards: meal counts from the ledger, tiers at the edges, eligibility, workflow."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import make_canteen
from tests.funds.conftest import add_meals
from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.models import AuditLog
from zhucan.funds import services
from zhucan.funds.models import CanteenEvaluation, OperatingReward, RewardStatus
from zhucan.funds.selectors import meal_counts

Y = 2023


@pytest.fixture
def lc(lc_in_savepoint):
    """Liaocheng's canteens and users, built once for this module; each test's writes roll back."""
    return lc_in_savepoint


def _evaluate(lc, canteen, passed=True, year=Y):
    return services.evaluation_record(actor=lc.lc_users["district_admin"], canteen_id=canteen.pk, year=year,
                                      passed=passed, score=92 if passed else 55, note="年度评估")


def _compute(lc, actor=None, **kw):
    run = services.rewards_compute(actor=actor or lc.lc_users["city_admin"], year=kw.pop("year", Y), **kw)
    return run, {r.canteen_id: r for r in run.rewards}


def test_meal_count_is_elder_sales_minus_their_reversals_in_the_year(lc, lc_elder):
    add_meals(lc.new_build, lc_elder, 10, date(2023, 1, 1), reversals=3, non_elder=5)
    add_meals(lc.new_build, lc_elder, 4, date(2023, 12, 31))
    add_meals(lc.new_build, lc_elder, 7, date(2022, 12, 31))  # another year
    add_meals(lc.new_build, lc_elder, 6, date(2024, 1, 1))
    add_meals(lc.upgrade, lc_elder, 2, date(2023, 6, 1))
    assert meal_counts(canteen_ids=[lc.new_build.pk, lc.upgrade.pk, lc.branded.pk], year=Y) == {
        lc.new_build.pk: 11, lc.upgrade.pk: 2}


# Each area's edges as one progression on one canteen: each step adds only the meals it lacks and
# recomputes (a recompute refreshes a proposal), instead of building up to 13,000 meals per edge.
@pytest.mark.parametrize(("area", "steps"), [
    ("urban", [(6_999, None), (7_000, 10_000), (9_999, 10_000), (10_000, 15_000), (12_999, 15_000),
               (13_000, 20_000)]),
    ("rural", [(3_499, None), (3_500, 10_000), (4_999, 10_000), (5_000, 15_000), (6_499, 15_000),
               (6_500, 20_000)]),
])
def test_tiers_at_the_edges(lc, lc_elder, area, steps):
    canteen = make_canteen(lc.lc_sub, "测试幸福食堂", area=area, opening_date=date(2022, 6, 1))
    _evaluate(lc, canteen)
    have = 0
    for meals, yuan in steps:
        add_meals(canteen, lc_elder, meals - have, date(2023, 5, 8))
        have = meals
        _, rewards = _compute(lc)
        reward = rewards[canteen.pk]
        assert (reward.meal_count, reward.area) == (meals, area)
        if yuan is None:
            assert reward.status == RewardStatus.INELIGIBLE and reward.reasons == ["below_threshold"], meals
            assert (reward.city_fen, reward.district_fen) == (0, 0) and reward.tier_min_meals is None
            assert reward.reasons_zh == ["人次未达最低档"]
        else:
            assert reward.status == RewardStatus.PROPOSED and reward.reasons == [], meals
            assert (reward.city_fen, reward.district_fen) == (yuan * 100, yuan * 100), meals
            assert reward.policy_version == "lc-2022" and "四（三）" in reward.policy_ref


@pytest.mark.parametrize(("opened", "status", "full"), [
    (date(2023, 1, 1), "open", True), (date(2022, 1, 2), "open", True), (date(2023, 1, 2), "open", False),
    (date(2023, 12, 31), "open", False), (None, "open", False), (date(2022, 1, 1), "suspended", True),
    (date(2022, 1, 1), "under_construction", False),
])
def test_full_year_rule(lc, opened, status, full):
    canteen = make_canteen(lc.lc_sub, "边界幸福食堂", opening_date=opened, status=status)
    assert services.full_year(canteen, Y) is full


def test_not_open_a_full_year_is_not_rewarded(lc, lc_elder):
    late = make_canteen(lc.lc_sub, "晚开幸福食堂", opening_date=date(2023, 1, 2))
    add_meals(late, lc_elder, 7_000, date(2023, 8, 1))  # the lowest tier's threshold: the count is not the point
    _evaluate(lc, late)
    _, rewards = _compute(lc)
    assert rewards[late.pk].status == RewardStatus.INELIGIBLE
    assert rewards[late.pk].reasons == ["not_full_year"] and rewards[late.pk].reasons_zh == ["未满一年"]
    assert rewards[late.pk].full_year is False and rewards[late.pk].tier_min_meals == 7_000


def test_evaluation_failed_or_missing_is_not_rewarded(lc, lc_elder):
    add_meals(lc.new_build, lc_elder, 7_000, date(2023, 3, 1))
    add_meals(lc.upgrade, lc_elder, 7_000, date(2023, 3, 1))
    _evaluate(lc, lc.new_build, passed=False)
    _evaluate(lc, lc.upgrade, passed=True, year=2022)  # the wrong year's evaluation does not count
    _, rewards = _compute(lc)
    for canteen in (lc.new_build, lc.upgrade):
        assert rewards[canteen.pk].reasons == ["evaluation"]
        assert rewards[canteen.pk].reasons_zh == ["评估未通过或未评估"]
    # Nothing at all: every reason listed.
    assert rewards[lc.branded.pk].reasons == ["evaluation", "below_threshold"]


def test_scope_district_admin_computes_only_own_district_and_hangzhou_is_skipped(lc, lc_elder):
    run, rewards = _compute(lc, actor=lc.lc_users["district_admin"])
    assert set(rewards) == {lc.new_build.pk, lc.upgrade.pk, lc.branded.pk}
    run, rewards = _compute(lc)  # the city: both districts; Hangzhou canteens are not the city's
    assert set(rewards) == {lc.new_build.pk, lc.upgrade.pk, lc.branded.pk, lc.foreign.pk}
    run, rewards = _compute(lc, district=lc.lc_other)
    assert set(rewards) == {lc.foreign.pk}
    with pytest.raises(NotFound):
        _compute(lc, actor=lc.lc_users["district_admin"], district=lc.lc_other.pk)
    run = services.rewards_compute(actor=lc.other["city_admin"], year=Y)
    assert all(r.canteen.region.path.startswith(lc.lc.path) for r in run.rewards)


def test_recompute_refreshes_proposals_and_never_touches_approved(lc, lc_elder):
    city = lc.lc_users["city_admin"]
    add_meals(lc.new_build, lc_elder, 7_000, date(2023, 3, 1))
    add_meals(lc.upgrade, lc_elder, 7_000, date(2023, 3, 1))
    _evaluate(lc, lc.new_build)
    _evaluate(lc, lc.upgrade)
    _, rewards = _compute(lc)
    approved = services.reward_approve(actor=city, reward_id=rewards[lc.new_build.pk].pk)
    add_meals(lc.new_build, lc_elder, 3_000, date(2023, 4, 1))
    add_meals(lc.upgrade, lc_elder, 3_000, date(2023, 4, 1))
    run, rewards = _compute(lc)
    assert [r.pk for r in run.locked] == [approved.pk]
    assert OperatingReward.objects.get(pk=approved.pk).city_fen == 1_000_000  # unchanged
    assert rewards[lc.upgrade.pk].city_fen == 1_500_000 and rewards[lc.upgrade.pk].meal_count == 10_000
    assert OperatingReward.objects.filter(year=Y).count() == 4


def test_reward_workflow_and_refusals(lc, lc_elder):
    city, district = lc.lc_users["city_admin"], lc.lc_users["district_admin"]
    add_meals(lc.new_build, lc_elder, 7_000, date(2023, 10, 1))
    _evaluate(lc, lc.new_build)
    _, rewards = _compute(lc, actor=district)
    reward, ineligible = rewards[lc.new_build.pk], rewards[lc.upgrade.pk]
    assert (reward.city_fen, reward.district_fen, reward.total_fen) == (1_000_000, 1_000_000, 2_000_000)

    def unchanged(exc, call, code=None):
        before = (list(OperatingReward.objects.order_by("pk").values()), AuditLog.objects.count())
        with pytest.raises(exc) as info:
            call()
        assert (list(OperatingReward.objects.order_by("pk").values()), AuditLog.objects.count()) == before
        if code:
            assert info.value.code == code

    unchanged(PermissionDenied, lambda: services.reward_approve(actor=district, reward_id=reward.pk))
    unchanged(NotFound, lambda: services.reward_approve(actor=lc.users["city_admin"], reward_id=reward.pk))
    unchanged(DomainError, lambda: services.reward_approve(actor=city, reward_id=ineligible.pk),
              "FUNDS_REWARD_NOT_ELIGIBLE")
    unchanged(DomainError, lambda: services.reward_mark_paid(actor=city, reward_id=reward.pk, reference="R1"),
              "FUNDS_BAD_STATUS")
    services.reward_approve(actor=city, reward_id=reward.pk)
    unchanged(DomainError, lambda: services.reward_approve(actor=city, reward_id=reward.pk), "FUNDS_BAD_STATUS")
    unchanged(DomainError, lambda: services.reward_mark_paid(actor=city, reward_id=reward.pk, reference=""),
              "FUNDS_REFERENCE_REQUIRED")
    unchanged(PermissionDenied, lambda: services.reward_mark_paid(actor=district, reward_id=reward.pk,
                                                                  reference="R1"))
    paid = services.reward_mark_paid(actor=city, reward_id=reward.pk, reference="LCCZ-2024-0001")
    assert paid.status == RewardStatus.PAID and paid.paid_by == city
    # The evaluation behind an approved reward is locked.
    unchanged(DomainError, lambda: _evaluate(lc, lc.new_build, passed=False), "FUNDS_EVALUATION_LOCKED")


@pytest.mark.parametrize("role", ["subdistrict_staff", "canteen_manager", "cashier", "auditor"])
def test_wrong_role_cannot_compute_or_evaluate(lc, role):
    with pytest.raises(PermissionDenied):
        services.rewards_compute(actor=lc.lc_users[role], year=Y)
    with pytest.raises(PermissionDenied):
        services.evaluation_record(actor=lc.lc_users[role], canteen_id=lc.new_build.pk, year=Y, passed=True)
    assert not OperatingReward.objects.exists() and not CanteenEvaluation.objects.exists()


def test_evaluation_record_updates_and_validates(lc):
    district = lc.lc_users["district_admin"]
    first = _evaluate(lc, lc.new_build, passed=False)
    second = _evaluate(lc, lc.new_build, passed=True)
    assert first.pk == second.pk and CanteenEvaluation.objects.get(pk=first.pk).passed is True
    for kw, code in [({"year": 1999}, "FUNDS_BAD_YEAR"), ({"score": 101}, "FUNDS_BAD_SCORE")]:
        with pytest.raises(DomainError) as info:
            services.evaluation_record(actor=district, canteen_id=lc.upgrade.pk, passed=True,
                                       **({"year": Y} | kw))
        assert info.value.code == code
    with pytest.raises(NotFound):
        services.evaluation_record(actor=district, canteen_id=lc.foreign.pk, year=Y, passed=True)
    assert CanteenEvaluation.objects.count() == 1


def test_unfinished_year_cannot_be_computed(lc):
    from zhucan.core import clock

    with pytest.raises(DomainError) as info:
        services.rewards_compute(actor=lc.lc_users["city_admin"], year=clock.local_today().year)
    assert info.value.code == "FUNDS_BAD_YEAR"
