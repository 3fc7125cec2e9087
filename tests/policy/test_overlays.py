"""HZ-6 layering: city standard first, then overlays in the order given, each with its own limits,
each computing on what the elder still pays (docs/policy.md "Layering")."""

from datetime import date

import yaml

from tests.policy.conftest import REPO, at
from zhucan.policy import CanteenFacts, ElderFacts, evaluate, load_policy

XIHU = yaml.safe_load((REPO / "policies" / "overlays" / "xihu.yaml").read_text(encoding="utf-8"))


def overlay_file(tmp_path, oid, rate, funder="canteen"):
    doc = {
        "id": oid, "kind": "overlay", "extends": "hangzhou", "district": "上城区", "name_zh": f"测试{oid}",
        "versions": [{
            "id": "v1", "effective_from": "2024-01-01", "ref": "测试",
            "layers": [{
                "id": f"{oid}.layer", "name_zh": f"测试{oid}",
                "eligibility": {"ref": "测试", "min_age": 60, "canteen_districts": ["上城区"]},
                "rules": [{"id": f"{oid}.rule", "kind": "percent", "funder": funder, "ref": "测试",
                           "bands": [{"min_age": 60, "discount": rate}]}],
                "limits": {"ref": "测试", "require_period": True, "per_period": 1},
            }],
        }],
    }
    path = tmp_path / f"{oid}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_overlays_apply_in_the_order_given_on_what_is_left(tmp_path):
    a = overlay_file(tmp_path, "aa", "0.50", "canteen")
    b = overlay_file(tmp_path, "bb", "0.10", "district")
    elder = ElderFacts(date(1960, 1, 1))
    canteen = CanteenFacts("上城区")
    ab = evaluate(load_policy("hangzhou", overlays=[a, b]), elder, canteen, at("2025-06-02 11:00"), amount_fen=10000)
    ba = evaluate(load_policy("hangzhou", overlays=[b, a]), elder, canteen, at("2025-06-02 11:00"), amount_fen=10000)
    # city 20% of 100 = 20; then 50% of 80 = 40; then 10% of 40 = 4
    assert ab.funders == {"city": 2000, "canteen": 4000, "district": 400}
    # city 20; then 10% of 80 = 8; then 50% of 72 = 36
    assert ba.funders == {"city": 2000, "district": 800, "canteen": 3600}
    assert [ln.layer_id for ln in ab.lines] == ["city", "aa.layer", "bb.layer"]
    assert ab.version_id == "hz-2022+aa:v1+bb:v1"
    # Repeating the same load gives the same answer (deterministic).
    again = evaluate(load_policy("hangzhou", overlays=[a, b]), elder, canteen, at("2025-06-02 11:00"),
                     amount_fen=10000)
    assert again.to_dict() == ab.to_dict()


def test_layers_never_exceed_the_price(tmp_path):
    a = overlay_file(tmp_path, "aa", "1", "canteen")  # 100% of what is left
    policy = load_policy("hangzhou", overlays=[a])
    q = evaluate(policy, ElderFacts(date(1930, 1, 1)), CanteenFacts("上城区"), at("2025-06-02 11:00"), amount_fen=999)
    assert q.benefit_fen == 999 and q.payable_fen == 0
    assert q.funders == {"city": 500, "canteen": 499}


def test_overlay_counters_are_separate_from_the_city_cap(hangzhou_xihu):
    elder = ElderFacts(date(1930, 1, 1), hukou_district="西湖区")
    canteen = CanteenFacts("西湖区")
    q1 = evaluate(hangzhou_xihu, elder, canteen, at("2025-06-02 07:00"), amount_fen=4000)
    assert q1.funders == {"city": 2000, "district": 200}
    assert q1.usage_after.layer("city").benefit_fen == 2000
    assert q1.usage_after.layer("xihu.80plus").benefit_fen == 200
    q2 = evaluate(hangzhou_xihu, elder, canteen, at("2025-06-02 11:00"), amount_fen=2000, usage=q1.usage_after)
    assert q2.funders == {"district": 200}
    assert q2.reason_code is None
    assert "今日已优惠20.00元，已达每日封顶20.00元" in q2.explanation_zh
    assert "西湖区80周岁以上户籍老人区级补贴：区级每餐补贴2元" in q2.explanation_zh


def test_overlay_meal_at_another_district_does_not_use_overlay_counters(hangzhou_xihu):
    elder = ElderFacts(date(1930, 1, 1), hukou_district="西湖区")
    q = evaluate(hangzhou_xihu, elder, CanteenFacts("上城区"), at("2025-06-02 11:00"), amount_fen=2000)
    assert q.funders == {"city": 1000}
    assert set(q.usage_delta.layers) == {"city"}
    assert q.outcomes[1].reason == "NOT_IN_DISTRICT"


def test_overlay_file_is_not_applied_unless_named(hangzhou):
    assert hangzhou.overlays == ()
    assert [layer.id for layer in hangzhou.version_on(date(2025, 6, 2)).layers] == ["city"]
