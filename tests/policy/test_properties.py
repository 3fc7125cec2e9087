"""Property tests (hypothesis) of the engine's invariants."""

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.policy.conftest import SHANGHAI
from zhucan.policy import CanteenFacts, DayUsage, ElderFacts, evaluate, load_policy

HZ = load_policy("hangzhou")
HZ_XIHU = load_policy("hangzhou", overlays=["xihu"])
LC = load_policy("liaocheng")
DAY = date(2025, 6, 2)
DISTRICTS = ["上城区", "拱墅区", "西湖区", "滨江区", "开发区"]
TAGS = ["purchased_home_care", "dibao", "tekun", "disabled", "living_alone", "empty_nest"]

elders = st.builds(
    ElderFacts,
    birth_date=st.dates(min_value=date(1915, 1, 1), max_value=date(1975, 12, 31)),
    tags=st.frozensets(st.sampled_from(TAGS), max_size=3),
    hukou_district=st.sampled_from([None, *DISTRICTS]),
)
# A day's meals: (minute of day, amount in fen, canteen district), in time order.
meals = st.lists(
    st.tuples(st.integers(0, 24 * 60 - 1), st.integers(0, 20_000), st.sampled_from(DISTRICTS)),
    min_size=1, max_size=8,
).map(lambda xs: sorted(xs, key=lambda m: m[0]))
policies = st.sampled_from([HZ, HZ_XIHU, LC])


def moment(minute: int) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, tzinfo=SHANGHAI) + timedelta(minutes=minute)


def run_day(policy, elder, day_meals, districts=None):
    usage = DayUsage.empty(DAY)  # the platform's row for the elder's day
    quotes = []
    for i, (minute, amount, district) in enumerate(day_meals):
        canteen = CanteenFacts(districts[i] if districts else district)
        q = evaluate(policy, elder, canteen, moment(minute), amount_fen=amount, usage=usage)
        usage = q.usage_after
        quotes.append(q)
    return quotes, usage


@settings(max_examples=200, deadline=None)
@given(policies, elders, meals)
def test_benefit_never_exceeds_the_price(policy, elder, day_meals):
    quotes, _ = run_day(policy, elder, day_meals)
    for q in quotes:
        assert 0 <= q.benefit_fen <= q.amount_fen
        assert q.payable_fen == q.amount_fen - q.benefit_fen >= 0
        assert sum(line.amount_fen for line in q.lines) == q.benefit_fen
        assert all(line.amount_fen > 0 for line in q.lines)
        assert (q.reason_code is None) == (q.benefit_fen > 0)


@settings(max_examples=200, deadline=None)
@given(policies, elders, meals)
def test_a_days_benefit_stays_within_each_layers_cap(policy, elder, day_meals):
    quotes, usage = run_day(policy, elder, day_meals)
    layers = policy.version_on(DAY).layers
    for layer in layers:
        total = sum(line.amount_fen for q in quotes for line in q.lines if line.layer_id == layer.id)
        assert total == usage.layer(layer.id).benefit_fen
        if layer.limits.daily_cap_fen is not None:
            assert total <= layer.limits.daily_cap_fen
        if layer.limits.per_day is not None:
            assert usage.layer(layer.id).meals <= layer.limits.per_day
    if policy is HZ:
        assert sum(q.benefit_fen for q in quotes) <= 2000  # HZ-4


@settings(max_examples=200, deadline=None)
@given(policies, elders, meals)
def test_at_most_one_benefit_per_period(policy, elder, day_meals):
    quotes, _ = run_day(policy, elder, day_meals)
    for layer in policy.version_on(DAY).layers:
        if layer.limits.per_period is None:
            continue
        seen: dict[str, int] = {}
        for q in quotes:
            if any(line.layer_id == layer.id for line in q.lines):
                assert q.period_name is not None  # never outside the periods (HZ-3)
                seen[q.period_name] = seen.get(q.period_name, 0) + 1
        assert all(n <= layer.limits.per_period for n in seen.values())


@settings(max_examples=100, deadline=None)
@given(policies, elders, meals)
def test_same_inputs_same_outputs(policy, elder, day_meals):
    a, ua = run_day(policy, elder, day_meals)
    b, ub = run_day(policy, elder, day_meals)
    assert [q.to_dict() for q in a] == [q.to_dict() for q in b]
    assert ua == ub


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([HZ, LC]), elders, meals, st.data())
def test_splitting_the_day_across_canteens_changes_nothing(policy, elder, day_meals, data):
    # HZ-5 / LC-4: the city rules and counters are city-wide (overlays, being district rules, are excluded).
    one = ["上城区"] * len(day_meals)
    many = data.draw(st.lists(st.sampled_from(DISTRICTS), min_size=len(day_meals), max_size=len(day_meals)))
    a, ua = run_day(policy, elder, day_meals, one)
    b, ub = run_day(policy, elder, day_meals, many)
    assert [(q.benefit_fen, q.funders, q.reason_code) for q in a] == [(q.benefit_fen, q.funders, q.reason_code)
                                                                       for q in b]
    assert ua == ub


@settings(max_examples=200, deadline=None)
@given(policies, elders, meals, st.randoms(use_true_random=False))
def test_usage_deltas_add_up_and_voids_are_exact_inverses(policy, elder, day_meals, rnd):
    quotes, usage = run_day(policy, elder, day_meals)
    total = DayUsage.empty(DAY)
    for q in quotes:
        assert q.usage_after == q.usage_before.apply(q.usage_delta)
        assert q.usage_after.reverse(q.usage_delta) == q.usage_before
        total = total.apply(q.usage_delta)
    assert total == usage
    assert DayUsage.from_dict(usage.to_dict()) == usage
    # Voiding every meal, in any order, gives back exactly an empty day.
    order = list(quotes)
    rnd.shuffle(order)
    for q in order:
        usage = usage.reverse(q.usage_delta)
    assert usage.is_zero()
