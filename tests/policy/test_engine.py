import json
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from tests.policy.conftest import REPO, at
from zhucan.policy import (
    REASON_CODES,
    AnnouncedPeriod,
    CanteenFacts,
    DayUsage,
    ElderFacts,
    InputError,
    NoVersionInForce,
    PricedItem,
    age_on,
    evaluate,
    evaluate_day,
)

ELDER_85 = ElderFacts(date(1940, 5, 1))
SHANGCHENG = CanteenFacts("上城区")


def test_importing_the_engine_does_not_import_django():
    code = "import sys, zhucan.policy, zhucan.policy.cli, zhucan.policy.simulate; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "False"


def test_quote_has_lines_funders_payable_usage_and_explanation(hangzhou):
    q = evaluate(hangzhou, ELDER_85, SHANGCHENG, at("2025-06-02 11:30"), amount_fen=2000)
    assert q.benefit_fen == 600
    assert q.payable_fen == 1400
    assert [(ln.rule_id, ln.layer_id, ln.funder, ln.amount_fen) for ln in q.lines] == [
        ("hz.city.discount", "city", "city", 600)]
    assert q.funders == {"city": 600}
    assert q.period_name == "lunch"
    assert q.policy_id == "hangzhou"
    assert q.version_id == "hz-2022"
    assert q.reason_code is None
    assert q.age == 85
    assert q.explanation_zh == "85岁，7折；午餐时段首次优惠；今日已优惠6.00元，封顶20.00元"
    assert "age 85" in q.explanation_en and "lunch" in q.explanation_en
    assert q.usage_delta.to_dict() == {
        "date": "2025-06-02", "layers": {"city": {"benefit_fen": 600, "meals": 1, "periods": {"lunch": 1}}}}
    assert q.usage_after == DayUsage().apply(q.usage_delta)
    json.dumps(q.to_dict(), ensure_ascii=False)


def test_explanation_reports_the_day_total_after_this_meal(hangzhou):
    first = evaluate(hangzhou, ELDER_85, SHANGCHENG, at("2025-06-02 07:00"), amount_fen=1000)
    q = evaluate(hangzhou, ELDER_85, CanteenFacts("拱墅区"), at("2025-06-02 11:00"), amount_fen=1000,
                 usage=first.usage_after)
    assert q.explanation_zh == "85岁，7折；午餐时段首次优惠；今日已优惠6.00元，封顶20.00元"


def test_no_benefit_has_a_stable_reason_code(hangzhou):
    young = ElderFacts(date(1970, 1, 1))
    q = evaluate(hangzhou, young, SHANGCHENG, at("2025-06-02 11:30"), amount_fen=2000)
    assert (q.benefit_fen, q.payable_fen, q.reason_code) == (0, 2000, "NOT_ELIGIBLE_AGE")
    assert q.lines == ()
    assert q.usage_delta.is_zero()
    assert "未满60周岁" in q.explanation_zh
    assert q.reason_code in REASON_CODES


def test_naive_datetime_is_an_error_naming_at(hangzhou):
    with pytest.raises(InputError) as err:
        evaluate(hangzhou, ELDER_85, SHANGCHENG, datetime(2025, 6, 2, 11, 30), amount_fen=100)
    assert err.value.field == "at"


@pytest.mark.parametrize("amount", [-1, 1.5, "100", True, None])
def test_bad_amount_is_an_error_naming_the_field(hangzhou, amount):
    with pytest.raises(InputError) as err:
        evaluate(hangzhou, ELDER_85, SHANGCHENG, at("2025-06-02 11:30"), amount_fen=amount)
    assert err.value.field == "amount_fen"


def test_birth_after_meal_is_an_error(hangzhou):
    with pytest.raises(InputError) as err:
        evaluate(hangzhou, ElderFacts(date(2025, 6, 3)), SHANGCHENG, at("2025-06-02 11:30"), amount_fen=100)
    assert err.value.field == "elder.birth_date"


def test_usage_of_another_day_is_refused(hangzhou):
    q = evaluate(hangzhou, ELDER_85, SHANGCHENG, at("2025-06-02 11:30"), amount_fen=100)
    with pytest.raises(InputError) as err:
        evaluate(hangzhou, ELDER_85, SHANGCHENG, at("2025-06-03 11:30"), amount_fen=100, usage=q.usage_after)
    assert err.value.field == "usage.date"


def test_before_the_first_version_is_a_clear_error(hangzhou):
    with pytest.raises(NoVersionInForce, match="2022-09-01"):
        evaluate(hangzhou, ELDER_85, SHANGCHENG, at("2020-06-02 11:30"), amount_fen=100)


def test_priced_items_sum_to_the_amount(hangzhou):
    items = [PricedItem("红烧肉", 1200), PricedItem("米饭", 100, 2), PricedItem("汤", 0)]
    q = evaluate(hangzhou, ELDER_85, SHANGCHENG, at("2025-06-02 11:30"), items=items)
    assert q.amount_fen == 1400
    assert q.benefit_fen == 420
    with pytest.raises(InputError) as err:
        evaluate(hangzhou, ELDER_85, SHANGCHENG, at("2025-06-02 11:30"), items=[PricedItem("x", -1)])
    assert err.value.field == "items[0].unit_price_fen"
    with pytest.raises(InputError):
        evaluate(hangzhou, ELDER_85, SHANGCHENG, at("2025-06-02 11:30"), items=items, amount_fen=1)


def test_moment_is_read_in_shanghai_time(hangzhou):
    utc = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    q = evaluate(hangzhou, ELDER_85, SHANGCHENG, utc, amount_fen=1000)
    assert q.period_name == "lunch"
    assert q.local_date == date(2025, 6, 2)
    late = datetime(2025, 6, 1, 23, 0, tzinfo=UTC)  # 07:00 on 2 June in Shanghai
    assert evaluate(hangzhou, ELDER_85, SHANGCHENG, late, amount_fen=1000).local_date == date(2025, 6, 2)
    # Another offset for the same instant gives the same quote.
    plus9 = utc.astimezone(timezone(timedelta(hours=9)))
    assert evaluate(hangzhou, ELDER_85, SHANGCHENG, plus9, amount_fen=1000).benefit_fen == 300


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [(date(1960, 6, 2), date(2020, 6, 1), 59), (date(1960, 6, 2), date(2020, 6, 2), 60),
     (date(1964, 2, 29), date(2023, 2, 28), 58), (date(1964, 2, 29), date(2023, 3, 1), 59),
     (date(1964, 2, 29), date(2024, 2, 28), 59), (date(1964, 2, 29), date(2024, 2, 29), 60),
     (date(1936, 2, 29), date(2026, 2, 28), 89), (date(1936, 2, 29), date(2026, 3, 1), 90)],
)
def test_age_in_full_years(birth, day, age):
    assert age_on(birth, day) == age


def test_announced_periods_are_hangzhous_window_and_unknown_names_are_errors(hangzhou):
    # HZ-7 具体开放时间以食堂公告为准: the announced 11:00-13:00 is the lunch window, past the city's 12:30.
    canteen = CanteenFacts("上城区", periods=(AnnouncedPeriod("lunch", time(11, 0), time(13, 0)),))
    assert evaluate(hangzhou, ELDER_85, canteen, at("2025-06-02 10:45"), amount_fen=1000).reason_code == \
        "OUTSIDE_MEAL_PERIOD"
    assert evaluate(hangzhou, ELDER_85, canteen, at("2025-06-02 12:30"), amount_fen=1000).benefit_fen == 300
    assert evaluate(hangzhou, ELDER_85, canteen, at("2025-06-02 13:00"), amount_fen=1000).benefit_fen == 300
    assert evaluate(hangzhou, ELDER_85, canteen, at("2025-06-02 13:01"), amount_fen=1000).benefit_fen == 0
    bad = CanteenFacts("上城区", periods=(AnnouncedPeriod("brunch", time(9, 0), time(10, 0)),))
    with pytest.raises(InputError) as err:
        evaluate(hangzhou, ELDER_85, bad, at("2025-06-02 09:30"), amount_fen=1000)
    assert err.value.field == "canteen.periods"


def test_commit_then_void_gives_back_exactly_what_the_meal_used(hangzhou):
    usage = DayUsage()
    quotes = []
    for hhmm, amount in (("07:00", 1000), ("11:00", 3000), ("17:00", 4000)):
        q = evaluate(hangzhou, ELDER_85, SHANGCHENG, at(f"2025-06-02 {hhmm}"), amount_fen=amount, usage=usage)
        usage = usage.apply(q.usage_delta)
        assert usage == q.usage_after
        quotes.append(q)
    assert usage.layer("city").benefit_fen == 2000  # 3.00 + 9.00 + 8.00 (cap)
    # Void the lunch: the lunch period and its 9.00 are free again.
    usage = usage.reverse(quotes[1].usage_delta)
    assert usage.layer("city").benefit_fen == 1100
    assert usage.layer("city").period_count("lunch") == 0
    again = evaluate(hangzhou, ELDER_85, SHANGCHENG, at("2025-06-02 12:00"), amount_fen=3000, usage=usage)
    assert again.benefit_fen == 900
    # Reversing more than was used is refused.
    with pytest.raises(InputError):
        usage.reverse(quotes[1].usage_delta)


def test_day_usage_json_round_trip_and_validation():
    u = DayUsage.from_dict({"date": "2025-06-02", "layers": {"city": {"benefit_fen": 600, "meals": 1,
                                                                      "periods": {"lunch": 1}}}})
    assert DayUsage.from_dict(json.loads(json.dumps(u.to_dict()))) == u
    assert DayUsage.from_dict(None) == DayUsage()
    for bad in ({"date": "x"}, {"layers": {"city": {"meals": "1"}}}, {"foo": 1}, {"layers": {"c": {"bar": 1}}}):
        with pytest.raises(InputError):
            DayUsage.from_dict(bad)


def test_elder_facts_validation():
    with pytest.raises(InputError) as err:
        ElderFacts(date(1940, 1, 1), status="dead")
    assert err.value.field == "elder.status"
    with pytest.raises(InputError) as err:
        ElderFacts(date(1940, 1, 1), status="deceased")
    assert err.value.field == "elder.status_since"
    with pytest.raises(InputError):
        CanteenFacts("开发区", area="suburb")


def test_evaluate_day_resets_at_local_midnight(liaocheng):
    elder = ElderFacts(date(1950, 2, 1))
    canteen = CanteenFacts("开发区", "urban")
    quotes = evaluate_day(liaocheng, elder, [(canteen, at("2025-06-02 23:50"), 1000),
                                             (canteen, at("2025-06-03 00:10"), 1000),
                                             (canteen, at("2025-06-03 07:00"), 1000)])
    assert [q.benefit_fen for q in quotes] == [200, 200, 0]
    assert quotes[2].reason_code == "DAILY_MEALS_USED"


def test_liaocheng_construction_subsidy_lc3(liaocheng):
    lines = {fl.funder: fl.amount_fen for fl in liaocheng.construction_subsidy("community_new_build")}
    assert lines == {"city": 10_000_000, "district": 10_000_000}
    assert {fl.funder: fl.amount_fen for fl in liaocheng.construction_subsidy("upgrade")} == {
        "city": 4_000_000, "district": 4_000_000}
    assert {fl.funder: fl.amount_fen for fl in liaocheng.construction_subsidy("enterprise_branded")} == {
        "city": 1_000_000, "district": 1_000_000}
    assert all("LC" in fl.ref for fl in liaocheng.construction_subsidy("upgrade"))
    with pytest.raises(InputError) as err:
        liaocheng.construction_subsidy("palace")
    assert err.value.field == "canteen_type"


@pytest.mark.parametrize(
    ("area", "meals", "yuan"),
    [("urban", 6999, 0), ("urban", 7000, 10000), ("urban", 9999, 10000), ("urban", 10000, 15000),
     ("urban", 12999, 15000), ("urban", 13000, 20000), ("urban", 50000, 20000),
     ("rural", 3499, 0), ("rural", 3500, 10000), ("rural", 5000, 15000), ("rural", 6499, 15000),
     ("rural", 6500, 20000)],
)
def test_liaocheng_operating_reward_lc5(liaocheng, area, meals, yuan):
    lines = liaocheng.operating_reward(area, meals, on=date(2025, 12, 31))
    if yuan == 0:
        assert lines == ()
    else:
        assert {fl.funder: fl.amount_fen for fl in lines} == {"city": yuan * 100, "district": yuan * 100}


def test_operating_reward_bad_input(liaocheng, hangzhou):
    with pytest.raises(InputError):
        liaocheng.operating_reward("urban", -1)
    with pytest.raises(InputError):
        liaocheng.operating_reward("suburb", 100)
    with pytest.raises(InputError):
        hangzhou.operating_reward("urban", 100)  # Hangzhou's file has no LC-5 rewards


def test_policy_versions_are_effective_dated(testcity):
    elder = ElderFacts(date(1962, 1, 1))  # 62 in 2024 (not eligible in v2023), 63 in 2025
    canteen = CanteenFacts("测试区")
    old = evaluate(testcity, elder, canteen, at("2024-12-31 12:00"), amount_fen=1000)
    new = evaluate(testcity, elder, canteen, at("2025-01-01 12:00"), amount_fen=1000)
    assert (old.version_id, old.benefit_fen, old.reason_code) == ("v2023", 0, "NOT_ELIGIBLE_AGE")
    assert (new.version_id, new.benefit_fen) == ("v2025", 200)  # 15% of 10.00 + 0.50
    assert new.funders == {"city": 150, "district": 50}
    assert testcity.version_on(date(2024, 6, 1)).id == "v2023"
    assert testcity.version_on(date(2025, 1, 1)).id == "v2025"
    # v2025 adds dinner and a two-meals-a-day limit.
    usage = new.usage_after
    d = evaluate(testcity, elder, canteen, at("2025-01-01 17:30"), amount_fen=1000, usage=usage)
    assert d.benefit_fen == 200


def test_layer_cap_cuts_later_rules_first(testcity):
    elder = ElderFacts(date(1940, 1, 1))
    canteen = CanteenFacts("测试区")
    lunch = evaluate(testcity, elder, canteen, at("2025-03-01 12:00"), amount_fen=4600)  # 25% = 11.50 + 0.50
    assert lunch.benefit_fen == 1200 and lunch.funders == {"city": 1150, "district": 50}
    dinner = evaluate(testcity, elder, canteen, at("2025-03-01 18:00"), amount_fen=4600, usage=lunch.usage_after)
    assert dinner.reason_code == "DAILY_CAP_REACHED"
    capped = evaluate(testcity, elder, canteen, at("2025-03-01 12:00"), amount_fen=5000)  # 12.50 + 0.50 > 12
    assert capped.funders == {"city": 1200}


def test_liaocheng_ignores_a_canteens_announced_hours():
    """LC-4 has no meal periods: a canteen announcing breakfast/lunch/dinner (its opening hours,
    HZ-7 style) still gets the one daily subsidy, and is not an input error."""
    from datetime import time

    from zhucan.policy import AnnouncedPeriod, CanteenFacts, ElderFacts, evaluate, load_policy

    canteen = CanteenFacts(district="开发区", area="urban", periods=(
        AnnouncedPeriod("breakfast", time(6, 30), time(8, 30)), AnnouncedPeriod("lunch", time(10, 30), time(12, 30))))
    quote = evaluate(load_policy("liaocheng"), ElderFacts(birth_date=date(1950, 2, 1)), canteen,
                     at("2025-06-02 11:30"), amount_fen=1000)
    assert (quote.benefit_fen, quote.funders) == (200, {"city": 100, "district": 100})


def test_announced_hours_intersect_keeps_only_the_overlap(testcity):
    canteen = CanteenFacts("测试区", periods=(AnnouncedPeriod("lunch", time(10, 30), time(12, 0)),))
    elder = ElderFacts(date(1950, 1, 1))
    assert evaluate(testcity, elder, canteen, at("2025-06-02 10:45"), amount_fen=1000).reason_code == \
        "OUTSIDE_MEAL_PERIOD"
    assert evaluate(testcity, elder, canteen, at("2025-06-02 11:00"), amount_fen=1000).benefit_fen == 300
    assert evaluate(testcity, elder, canteen, at("2025-06-02 12:01"), amount_fen=1000).benefit_fen == 0


def test_liaocheng_splits_a_cheap_meal_in_proportion_with_the_odd_fen_to_the_city(liaocheng):
    canteen = CanteenFacts("开发区", area="urban")
    elder = ElderFacts(date(1940, 2, 1), verified=True)
    for amount, city, district in ((300, 150, 150), (301, 151, 150), (1, 1, 0), (399, 200, 199)):
        q = evaluate(liaocheng, elder, canteen, at("2025-06-02 11:30"), amount_fen=amount)
        assert (q.benefit_fen, q.funders.get("city", 0), q.funders.get("district", 0)) == (amount, city, district)
        assert all(line.amount_fen > 0 for line in q.lines)
