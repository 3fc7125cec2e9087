"""Delivery fee and delivery subsidy as policy data (issue 17): schema, engine, scenarios."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from tests.policy.conftest import REPO, at
from zhucan.policy import (
    DELIVERY_LAYER,
    CanteenFacts,
    DayUsage,
    ElderFacts,
    PolicyLoadError,
    delivery_terms,
    load_policy,
)
from zhucan.policy.scenarios import run_files

XIHU = yaml.safe_load((REPO / "policies" / "overlays" / "xihu.yaml").read_text(encoding="utf-8"))


def test_delivery_scenarios_pass():
    result = run_files([str(REPO / "policies" / "scenarios" / "delivery.yaml")])
    assert result.failed == 0 and result.passed == 8, result.lines


def test_the_seed_cities_set_no_delivery_fee(hangzhou, liaocheng):
    assert hangzhou.delivery == () and liaocheng.delivery == ()
    terms = delivery_terms(hangzhou, ElderFacts(date(1940, 1, 1)), CanteenFacts("西湖区"), at("2025-06-02 11:30"))
    assert (terms.fee_fen, terms.subsidy_fen, terms.lines, terms.usage_delta.layers) == (0, 0, (), {})


def test_xihu_example_subsidy_by_age_and_tags_with_funder_and_usage(hangzhou_xihu):
    elder = ElderFacts(date(1940, 1, 1), tags=frozenset({"disabled"}))
    terms = delivery_terms(hangzhou_xihu, elder, CanteenFacts("西湖区"), at("2025-06-02 11:30"))
    assert terms.fee_fen == 300 and terms.subsidy_fen == 200
    assert [(ln.rule_id, ln.layer_id, ln.funder, ln.amount_fen) for ln in terms.lines] == [
        ("xihu.delivery.80plus", DELIVERY_LAYER, "district", 100),
        ("xihu.delivery.care", DELIVERY_LAYER, "district", 100)]
    assert terms.usage_delta.to_dict()["layers"] == {DELIVERY_LAYER: {"benefit_fen": 200, "meals": 1,
                                                                      "periods": {"lunch": 1}}}
    # a deceased elder gets no subsidy from the day of death on
    gone = ElderFacts(date(1940, 1, 1), status="deceased", status_since=date(2025, 6, 1))
    assert delivery_terms(hangzhou_xihu, gone, CanteenFacts("西湖区"), at("2025-06-02 11:30")).subsidy_fen == 0
    with pytest.raises(Exception, match="usage"):
        delivery_terms(hangzhou_xihu, elder, CanteenFacts("西湖区"), at("2025-06-02 11:30"),
                       usage=DayUsage.empty(date(2025, 6, 3)))


def _overlay(tmp_path, delivery):
    doc = dict(XIHU, id="xx", delivery=delivery)
    doc["versions"] = [dict(v, layers=[dict(layer, id=f"xx.{layer['id']}") for layer in v["layers"]])
                       for v in XIHU["versions"]]
    path = tmp_path / "xx.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_subsidies_never_exceed_the_fee_and_terms_are_effective_dated(tmp_path):
    path = _overlay(tmp_path, [
        {"id": "a", "effective_from": "2025-01-01", "effective_to": "2025-06-30", "ref": "测试", "fee": "1.50",
         "subsidies": [{"id": "s1", "funder": "district", "bands": [{"min_age": 60, "amount": "1.00"}]},
                       {"id": "s2", "funder": "city", "bands": [{"min_age": 60, "amount": "1.00"}]}]}])
    policy = load_policy("hangzhou", overlays=[path])
    elder, canteen = ElderFacts(date(1950, 1, 1)), CanteenFacts("西湖区")
    terms = delivery_terms(policy, elder, canteen, at("2025-06-30 11:30"))
    assert terms.fee_fen == 150 and [(ln.funder, ln.amount_fen) for ln in terms.lines] == [("district", 100),
                                                                                           ("city", 50)]
    assert delivery_terms(policy, elder, canteen, at("2025-07-01 11:30")).fee_fen == 0


@pytest.mark.parametrize(("term", "message"), [
    ({"id": "a", "effective_from": "2025-01-01", "ref": "x"}, "sets a fee, subsidies or both"),
    ({"id": "a", "effective_from": "2025-01-01", "ref": "x", "fee": "-1"}, "fee"),
    ({"id": "a", "effective_from": "2025-02-01", "effective_to": "2025-01-01", "ref": "x", "fee": "1"},
     "before effective_from"),
    ({"id": "a", "effective_from": "2025-01-01", "ref": "x",
      "subsidies": [{"id": "s", "funder": "nobody", "bands": [{"min_age": 60, "amount": "1"}]}]}, "unknown funder"),
    ({"id": "a", "effective_from": "2025-01-01", "fee": "1"}, "ref"),
])
def test_bad_delivery_terms_are_refused_with_their_path(tmp_path, term, message):
    with pytest.raises(PolicyLoadError, match=message) as err:
        load_policy("hangzhou", overlays=[_overlay(tmp_path, [term])])
    assert "delivery[0]" in str(err.value)
