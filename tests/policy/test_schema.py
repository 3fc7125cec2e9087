import copy
from datetime import date
from pathlib import Path

import pytest
import yaml

from tests.policy.conftest import REPO
from zhucan.policy import PolicyLoadError, PolicyNotFound, available, load_policy, load_reform

HZ_DOC = yaml.safe_load((REPO / "policies" / "hangzhou.yaml").read_text(encoding="utf-8"))
LC_DOC = yaml.safe_load((REPO / "policies" / "liaocheng.yaml").read_text(encoding="utf-8"))


def write(tmp_path: Path, doc, name: str = "city.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def load_error(tmp_path: Path, doc) -> PolicyLoadError:
    path = write(tmp_path, doc)
    with pytest.raises(PolicyLoadError) as err:
        load_policy(path)
    assert err.value.file == str(path)
    assert str(path) in str(err.value)
    return err.value


def hz():
    return copy.deepcopy(HZ_DOC)


def bands(doc):
    return doc["versions"][0]["layers"][0]["rules"][0]["bands"]


def test_shipped_policies_load_and_are_listed():
    assert {"hangzhou", "liaocheng"} <= set(available())
    assert "xihu" in available(sub="overlays")
    for name in ("hangzhou", "liaocheng"):
        assert load_policy(name).id == name


def test_policy_dir_can_be_overridden(tmp_path, monkeypatch):
    write(tmp_path, HZ_DOC, "hangzhou.yaml")
    monkeypatch.setenv("ZHUCAN_POLICY_DIR", str(tmp_path))
    assert load_policy("hangzhou").source_file == str(tmp_path / "hangzhou.yaml")
    with pytest.raises(PolicyNotFound, match="liaocheng"):
        load_policy("liaocheng")
    assert load_policy("liaocheng", policy_dir=REPO / "policies").id == "liaocheng"


def test_unknown_policy_name_is_a_clear_error():
    with pytest.raises(PolicyNotFound, match="unknown policy 'atlantis'"):
        load_policy("atlantis")
    with pytest.raises(PolicyNotFound, match="invalid policy name"):
        load_policy("hang zhou!")
    with pytest.raises(PolicyLoadError, match="file not found"):
        load_policy("/nonexistent/city.yaml")


def test_overlapping_age_bands(tmp_path):
    doc = hz()
    bands(doc)[1]["min_age"] = 79
    err = load_error(tmp_path, doc)
    assert err.path == "versions[0].layers[0].rules[0].bands[1]"
    assert "overlaps" in err.reason


def test_gapped_age_bands(tmp_path):
    doc = hz()
    bands(doc)[1]["min_age"] = 81
    err = load_error(tmp_path, doc)
    assert err.path == "versions[0].layers[0].rules[0].bands[1]"
    assert "gap" in err.reason and "80-80" in err.reason


def test_gap_between_eligibility_and_first_band(tmp_path):
    doc = hz()
    bands(doc)[0]["min_age"] = 65
    err = load_error(tmp_path, doc)
    assert "gap" in err.reason


def test_open_band_must_be_last(tmp_path):
    doc = hz()
    del bands(doc)[1]["max_age"]
    err = load_error(tmp_path, doc)
    assert "open-ended" in err.reason or "overlaps" in err.reason


def test_unknown_funder(tmp_path):
    doc = hz()
    doc["versions"][0]["layers"][0]["rules"][0]["funder"] = "province"
    err = load_error(tmp_path, doc)
    assert err.path == "versions[0].layers[0].rules[0].funder"
    assert "unknown funder 'province'" in err.reason


def test_negative_and_over_precise_amounts(tmp_path):
    doc = hz()
    doc["versions"][0]["layers"][0]["limits"]["daily_cap"] = "-20.00"
    err = load_error(tmp_path, doc)
    assert err.path == "versions[0].layers[0].limits.daily_cap" and "negative" in err.reason
    doc["versions"][0]["layers"][0]["limits"]["daily_cap"] = "20.001"
    err = load_error(tmp_path, doc)
    assert "two decimals" in err.reason
    lc = copy.deepcopy(LC_DOC)
    lc["versions"][0]["layers"][0]["rules"][0]["bands"][0]["amount"] = "-1.00"
    err = load_error(tmp_path, lc)
    assert err.path == "versions[0].layers[0].rules[0].bands[0].amount"


def test_rate_above_one(tmp_path):
    doc = hz()
    bands(doc)[0]["discount"] = "1.20"
    err = load_error(tmp_path, doc)
    assert err.path == "versions[0].layers[0].rules[0].bands[0].discount"


def test_bad_dates_and_version_order(tmp_path):
    doc = hz()
    doc["versions"][0]["effective_from"] = "2022-13-01"
    err = load_error(tmp_path, doc)
    assert err.path == "versions[0].effective_from" and "not a valid date" in err.reason
    doc = hz()
    second = copy.deepcopy(doc["versions"][0])
    second["id"] = "older"
    second["effective_from"] = "2021-01-01"
    doc["versions"].append(second)
    err = load_error(tmp_path, doc)
    assert err.path == "versions[1].effective_from" and "not after" in err.reason


def test_unknown_keys_anywhere(tmp_path):
    doc = hz()
    doc["versions"][0]["layers"][0]["limits"]["weekly_cap"] = "50.00"
    err = load_error(tmp_path, doc)
    assert err.path == "versions[0].layers[0].limits" and "weekly_cap" in err.reason
    doc = hz()
    doc["colour"] = "red"
    assert "colour" in load_error(tmp_path, doc).reason


def test_missing_legal_reference(tmp_path):
    doc = hz()
    del doc["versions"][0]["layers"][0]["rules"][0]["ref"]
    err = load_error(tmp_path, doc)
    assert err.path == "versions[0].layers[0].rules[0]" and "ref" in err.reason


def test_bad_periods(tmp_path):
    doc = hz()
    doc["versions"][0]["meal_periods"]["periods"][1]["start"] = "25:00"
    err = load_error(tmp_path, doc)
    assert err.path == "versions[0].meal_periods.periods[1].start"
    doc = hz()
    doc["versions"][0]["meal_periods"]["periods"][1]["start"] = "08:00"
    err = load_error(tmp_path, doc)
    assert "overlap" in err.reason
    doc = hz()
    doc["versions"][0]["meal_periods"]["periods"][1]["end"] = "10:00"
    assert "before start" in load_error(tmp_path, doc).reason


def test_announced_hours_and_split_take_only_known_values(tmp_path):
    doc = hz()
    doc["versions"][0]["meal_periods"]["announced_hours"] = "override"
    err = load_error(tmp_path, doc)
    assert err.path == "versions[0].meal_periods.announced_hours" and "replace or intersect" in err.reason
    lc = copy.deepcopy(LC_DOC)
    lc["versions"][0]["layers"][0]["split_when_short"] = "city_first"
    err = load_error(tmp_path, lc)
    assert err.path == "versions[0].layers[0].split_when_short" and "proportional or in_order" in err.reason


def test_shipped_decisions_are_read_from_the_files(tmp_path):
    hangzhou, liaocheng = load_policy("hangzhou"), load_policy("liaocheng")
    assert hangzhou.latest().announced_hours == "replace"
    assert [layer.split_when_short for layer in liaocheng.latest().layers] == ["proportional"]
    # A district overlay composes onto the city's version and keeps its decision.
    assert load_policy("hangzhou", overlays=["xihu"]).version_on(date(2025, 6, 2)).announced_hours == "replace"
    # Unstated, a policy keeps the narrower reading and pays its rules in file order.
    doc = hz()
    del doc["versions"][0]["meal_periods"]["announced_hours"]
    plain = load_policy(write(tmp_path, doc))
    assert plain.latest().announced_hours == "intersect"
    assert plain.latest().layers[0].split_when_short == "in_order"


def test_per_period_needs_periods(tmp_path):
    lc = copy.deepcopy(LC_DOC)
    lc["versions"][0]["layers"][0]["limits"]["per_period"] = 1
    assert "meal_periods" in load_error(tmp_path, lc).reason


def test_construction_and_reward_schema(tmp_path):
    lc = copy.deepcopy(LC_DOC)
    lc["versions"][0]["construction_subsidy"]["types"]["castle"] = {"name_zh": "城堡", "lines": {"city": "1.00"}}
    assert "unknown canteen type" in load_error(tmp_path, lc).reason
    lc = copy.deepcopy(LC_DOC)
    lc["versions"][0]["operating_reward"]["tiers"]["urban"][1]["min_meals"] = 5000
    assert "increasing" in load_error(tmp_path, lc).reason
    lc = copy.deepcopy(LC_DOC)
    lc["versions"][0]["operating_reward"]["tiers"]["urban"][0]["lines"] = {"bank": "1.00"}
    assert "unknown funder" in load_error(tmp_path, lc).reason


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\nversions: [\n  - a: b\n", encoding="utf-8")
    with pytest.raises(PolicyLoadError) as err:
        load_policy(path)
    assert "line" in err.value.path and "invalid YAML" in err.value.reason


def test_not_a_mapping(tmp_path):
    err = load_error(tmp_path, ["a", "b"])
    assert "expected a mapping" in err.reason


def test_overlay_errors_name_the_overlay_file(tmp_path):
    overlay = yaml.safe_load((REPO / "policies" / "overlays" / "xihu.yaml").read_text(encoding="utf-8"))
    overlay["versions"][0]["layers"][0]["rules"][0]["funder"] = "charity"
    path = write(tmp_path, overlay, "xihu_bad.yaml")
    with pytest.raises(PolicyLoadError) as err:
        load_policy("hangzhou", overlays=[path])
    assert err.value.file == str(path) and "unknown funder 'charity'" in err.value.reason
    # An overlay may declare its own funder …
    overlay["funders"] = {"charity": {"name_zh": "慈善基金"}}
    path = write(tmp_path, overlay, "xihu_charity.yaml")
    policy = load_policy("hangzhou", overlays=[path])
    assert policy.funders["charity"].name_zh == "慈善基金"
    # … but not one that clashes with the city's, nor reuse the city's layer ids.
    overlay["funders"] = {"city": {"name_zh": "别的"}}
    with pytest.raises(PolicyLoadError, match="already declared"):
        load_policy("hangzhou", overlays=[write(tmp_path, overlay, "x2.yaml")])
    overlay = yaml.safe_load((REPO / "policies" / "overlays" / "xihu.yaml").read_text(encoding="utf-8"))
    overlay["versions"][0]["layers"][0]["id"] = "city"
    with pytest.raises(PolicyLoadError, match="duplicate layer id"):
        load_policy("hangzhou", overlays=[write(tmp_path, overlay, "x3.yaml")])
    overlay["extends"] = "liaocheng"
    with pytest.raises(PolicyLoadError, match="extends"):
        load_policy("hangzhou", overlays=[write(tmp_path, overlay, "x4.yaml")])


def test_overlays_all_loads_matching_overlays_only():
    assert [o.id for o in load_policy("hangzhou", overlays="all").overlays] == ["xihu"]
    assert load_policy("liaocheng", overlays="all").overlays == ()


def test_reform_changes_a_copy_only():
    reform = load_reform("hz_cap25_80s_6zhe")
    base = load_policy("hangzhou")
    layer = reform.latest().layers[0]
    assert layer.limits.daily_cap_fen == 2500
    assert layer.rules[0].bands[1].value == 4000
    assert base.latest().layers[0].limits.daily_cap_fen == 2000
    assert reform.id == "hangzhou.cap25_80s_6zhe"


def test_reform_errors(tmp_path):
    doc = {"kind": "reform", "id": "r", "baseline": "hangzhou",
           "changes": [{"path": "layers[city].limits.weekly", "value": "1.00"}]}
    path = write(tmp_path, doc, "r.yaml")
    with pytest.raises(PolicyLoadError, match="weekly"):
        load_reform(path)
    doc["changes"] = [{"path": "layers[nope].limits.daily_cap", "value": "1.00"}]
    with pytest.raises(PolicyLoadError, match="no item with id=nope"):
        load_reform(write(tmp_path, doc, "r2.yaml"))
    doc["changes"] = [{"path": "layers[city].limits.daily_cap", "value": "-1.00"}]
    with pytest.raises(PolicyLoadError, match="negative"):
        load_reform(write(tmp_path, doc, "r3.yaml"))
