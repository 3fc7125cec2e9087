from datetime import date

import numpy as np
import polars as pl
import pytest

from tests.policy.conftest import FIXTURES, REPO
from zhucan.policy import InputError, load_policy, load_reform
from zhucan.policy.cli import main
from zhucan.policy.simulate import meals_from_rows, rate, read_meals, simulate, synthetic_meals

REFORM = REPO / "policies" / "reforms" / "hz_cap25_80s_6zhe.yaml"


def with_ties(df: pl.DataFrame) -> pl.DataFrame:
    """Duplicate some meals at the very same moment (ties must keep the file order)."""
    extra = df.head(200).with_columns((pl.col("row") + df.height).cast(pl.UInt32),
                                      (pl.col("amount_fen") + 7).alias("amount_fen"))
    return pl.concat([df, extra])


@pytest.mark.parametrize(
    ("name", "start"),
    [("hangzhou", date(2025, 6, 1)), ("hangzhou+xihu", date(2023, 12, 25)), ("reform", date(2025, 6, 1)),
     ("liaocheng", date(2025, 6, 1)), ("testcity", date(2024, 12, 25))],
)
def test_vector_and_per_meal_paths_agree_on_every_meal(name, start):
    policy = {
        "hangzhou": lambda: load_policy("hangzhou"),
        "hangzhou+xihu": lambda: load_policy("hangzhou", overlays=["xihu"]),
        "reform": lambda: load_reform(REFORM),
        "liaocheng": lambda: load_policy("liaocheng"),
        "testcity": lambda: load_policy(FIXTURES / "testcity.yaml"),
    }[name]()
    # Few elders, many meals each: caps, periods and one-meal-a-day limits bind often.
    meals = with_ties(synthetic_meals(6000, elders=150, seed=11, start=start, days=14))
    vec = rate(policy, meals, engine="vector")
    per = rate(policy, meals, engine="per-meal")
    assert vec.meals["row"].to_list() == per.meals["row"].to_list()
    mismatch = np.nonzero(vec.benefit_fen != per.benefit_fen)[0]
    assert mismatch.size == 0, vec.meals[mismatch[:5].tolist()]
    assert set(vec.by_funder) == set(per.by_funder)
    for funder in vec.by_funder:
        assert np.array_equal(vec.by_funder[funder], per.by_funder[funder]), funder
    assert vec.benefit_fen.sum() > 0


def test_vector_and_per_meal_paths_agree_on_meals_cheaper_than_the_subsidy():
    # Liaocheng shares a meal cheaper than 2.00 + 2.00 in proportion (odd fen to the city); the
    # testcity cap cuts its later rule first. Both paths must split every meal the same way.
    rows = [{"elder_id": f"e{n}", "birth_date": "1940-02-01" if n % 2 else "1950-02-01", "tags": "",
             "canteen_district": "测试区", "at": f"2025-06-{2 + n % 20:02d} {11 + n % 8}:{n % 60:02d}",
             "amount": f"{fen // 100}.{fen % 100:02d}"} for n, fen in enumerate(range(0, 1500, 7))]
    meals = meals_from_rows(rows)
    for policy in (load_policy("liaocheng"), load_policy(FIXTURES / "testcity.yaml")):
        vec, per = rate(policy, meals, engine="vector"), rate(policy, meals, engine="per-meal")
        assert np.array_equal(vec.benefit_fen, per.benefit_fen)
        for funder in per.by_funder:
            assert np.array_equal(vec.by_funder[funder], per.by_funder[funder]), funder
    lc = rate(load_policy("liaocheng"), meals, engine="vector")
    assert lc.by_funder["city"].sum() - lc.by_funder["district"].sum() > 0  # the odd fen went to the city


def test_meals_are_rerated_in_each_elders_order_so_caps_bind():
    rows = [  # listed out of order on purpose: the 92-year-old's lunch comes before breakfast in the file
        {"elder_id": "a", "birth_date": "1933-01-01", "tags": "", "canteen_district": "上城区",
         "at": "2025-06-02 11:00", "amount": "20.00"},
        {"elder_id": "a", "birth_date": "1933-01-01", "tags": "", "canteen_district": "拱墅区",
         "at": "2025-06-02 07:00", "amount": "10.00"},
        {"elder_id": "a", "birth_date": "1933-01-01", "tags": "", "canteen_district": "拱墅区",
         "at": "2025-06-02 17:00", "amount": "30.00"},
        {"elder_id": "b", "birth_date": "1960-03-15", "tags": "", "canteen_district": "上城区",
         "at": "2025-06-02 11:30", "amount": "15.00"},
    ]
    meals = meals_from_rows(rows)
    rated = rate(load_policy("hangzhou"), meals)
    assert rated.meals["row"].to_list() == [1, 0, 2, 3]
    assert rated.benefit_fen.tolist() == [500, 1000, 500, 300]
    report = simulate(load_policy("hangzhou"), load_reform(REFORM), meals)
    assert report.baseline_totals == {"city": 2300}
    assert report.reform_totals == {"city": 2800}  # cap 25: the dinner gets 10.00 instead of 5.00
    assert (report.meals_affected, report.elders_affected) == (1, 1)
    assert (report.baseline_elders_benefited, report.meals) == (2, 4)


def test_read_csv_and_parquet(tmp_path):
    rows = [
        {"elder_id": "e1", "birth_date": "1940-01-01", "tags": "dibao;living_alone", "canteen_district": "西湖区",
         "at": "2025-06-02 11:00", "amount": "30.00"},
        {"elder_id": "e1", "birth_date": "1940-01-01", "tags": "", "canteen_district": "西湖区",
         "at": "2025-06-02T17:00:00", "amount": "12.5"},
    ]
    csv = tmp_path / "meals.csv"
    pl.DataFrame(rows).write_csv(csv)
    df = read_meals(csv)
    assert df["amount_fen"].to_list() == [3000, 1250]
    assert df["birth_date"].to_list() == [date(1940, 1, 1)] * 2
    parquet = tmp_path / "meals.parquet"
    df.drop("row").write_parquet(parquet)
    again = read_meals(parquet)
    assert again["amount_fen"].to_list() == [3000, 1250]
    assert again["at"].to_list() == df["at"].to_list()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [("amount", "1.005", "more than two decimals"), ("amount", "-3.00", "negative"),
     ("at", "yesterday", "not a local date-time"), ("birth_date", "1940-02-30", "not a date"),
     ("birth_date", "2030-01-01", "birth date after the meal")],
)
def test_bad_meal_rows_name_the_column_and_row(tmp_path, column, value, message):
    row = {"elder_id": "e1", "birth_date": "1940-01-01", "tags": "", "canteen_district": "西湖区",
           "at": "2025-06-02 11:00", "amount": "30.00"}
    bad = dict(row, **{column: value})
    path = tmp_path / "m.csv"
    pl.DataFrame([row, bad]).write_csv(path)
    with pytest.raises(InputError) as err:
        read_meals(path)
    assert err.value.field == column
    assert message in str(err.value) and "row 2" in str(err.value)


def test_missing_column(tmp_path):
    path = tmp_path / "m.csv"
    pl.DataFrame({"elder_id": ["a"]}).write_csv(path)
    with pytest.raises(InputError, match="missing column"):
        read_meals(path)


def test_simulate_command(tmp_path, capsys):
    path = tmp_path / "meals.parquet"
    meals = synthetic_meals(3000, elders=100, seed=3)
    meals.drop("row").write_parquet(path)
    code = main(["simulate", "--baseline", "hangzhou", "--reform", str(REFORM), "--meals", str(path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "3000 餐" in out and "市级 city" in out and "受影响餐次 meals affected" in out
    # The reform only adds benefit: the change line is positive.
    city = next(line for line in out.splitlines() if line.startswith("市级 city"))
    assert "+" in city
    code = main(["simulate", "--baseline", "liaocheng", "--reform", str(REFORM), "--meals", str(path)])
    assert code == 1 and "based on 'hangzhou'" in capsys.readouterr().err
    code = main(["simulate", "--baseline", "hangzhou", "--reform", str(REFORM), "--meals", str(tmp_path / "x.csv")])
    assert code == 1 and "file not found" in capsys.readouterr().err
