"""Consistency checks of src/zhucan/regions/data/demo_regions.yaml (no database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

DATA = Path(__file__).resolve().parents[2] / "src" / "zhucan" / "regions" / "data" / "demo_regions.yaml"

LEVELS = ["city", "district", "subdistrict", "community"]
CODE_LENGTH = {"city": 6, "district": 6, "subdistrict": 9, "community": 12}
SUFFIXES = {
    "city": ("市",),
    "district": ("区", "县", "市"),
    "subdistrict": ("街道", "镇", "乡", "园区"),
    "community": ("社区", "村"),
}
ALLOWED_KEYS = {
    "code",
    "name",
    "level",
    "children",
    "policy",
    "area",
    "code_source",
    "statistical_parent",
    "functional_zone",
}
# Nodes whose code does not start with their parent's code, and why (see the YAML header):
# the Liaocheng development zone is a functional zone with a local code, while the NBS files its
# subdistricts (and 物流园社区) under 东昌府区 371502 / 北城街道 371502008.
PREFIX_EXCEPTIONS = {
    "371502010": "371502",  # 蒋官屯街道
    "371502008": "371502",  # 北城街道
    "371502008002": "371502008",  # 物流园社区, under the logistics park here
}
HANGZHOU_DISTRICTS = {
    "330102": "上城区",
    "330105": "拱墅区",
    "330106": "西湖区",
    "330108": "滨江区",
    "330109": "萧山区",
    "330110": "余杭区",
    "330111": "富阳区",
    "330112": "临安区",
    "330113": "临平区",
    "330114": "钱塘区",
    "330122": "桐庐县",
    "330127": "淳安县",
    "330182": "建德市",
}


@pytest.fixture(scope="module")
def tree() -> list[dict[str, Any]]:
    with DATA.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, list) and data, "the file must be a non-empty YAML list of city nodes"
    return data


def walk(
    nodes: list[dict[str, Any]], parent: dict[str, Any] | None = None
) -> Iterator[tuple[dict, dict | None]]:
    for node in nodes:
        yield node, parent
        yield from walk(node.get("children") or [], node)


def by_code(tree: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {node["code"]: node for node, _ in walk(tree)}


def test_nodes_are_well_formed(tree: list[dict[str, Any]]) -> None:
    for node, _ in walk(tree):
        assert set(node) <= ALLOWED_KEYS, f"{node.get('name')}: unknown keys {set(node) - ALLOWED_KEYS}"
        assert isinstance(node["code"], str) and node["code"].isascii() and node["code"].isdigit(), node
        assert isinstance(node["name"], str) and node["name"].strip() == node["name"] != "", node
        assert node["level"] in LEVELS, node
        assert len(node["code"]) == CODE_LENGTH[node["level"]], f"{node['name']}: code length"
        assert isinstance(node.get("children", []), list), node
        if "code_source" in node:
            assert node["code_source"] == "local", node
        if "functional_zone" in node:
            assert node["functional_zone"] is True and node["level"] == "district", node


def test_codes_are_unique(tree: list[dict[str, Any]]) -> None:
    codes = [node["code"] for node, _ in walk(tree)]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    assert not duplicates


def test_sibling_names_are_unique(tree: list[dict[str, Any]]) -> None:
    for node, _ in walk(tree):
        names = [child["name"] for child in node.get("children", [])]
        assert len(names) == len(set(names)), node["name"]


def test_levels_nest(tree: list[dict[str, Any]]) -> None:
    for node, parent in walk(tree):
        if parent is None:
            assert node["level"] == "city", node["name"]
        else:
            assert LEVELS.index(node["level"]) == LEVELS.index(parent["level"]) + 1, node["name"]
    for node, _ in walk(tree):
        if node["level"] == "community":
            assert not node.get("children"), node["name"]


def test_child_codes_extend_parent_codes(tree: list[dict[str, Any]]) -> None:
    seen_exceptions = {}
    for node, parent in walk(tree):
        if parent is None:
            assert node["code"].endswith("00"), "a city code is its 4-digit prefix + 00"
            continue
        # A city's districts share its first 4 digits; below that, the whole parent code.
        prefix = parent["code"][:4] if parent["level"] == "city" else parent["code"]
        if "statistical_parent" in node:
            seen_exceptions[node["code"]] = node["statistical_parent"]
            assert node["code"].startswith(node["statistical_parent"]), node["name"]
            assert not node["code"].startswith(prefix), f"{node['name']}: needless statistical_parent"
        else:
            assert node["code"].startswith(prefix), f"{node['name']} {node['code']} not under {prefix}"
    assert seen_exceptions == PREFIX_EXCEPTIONS


def test_names_end_with_a_suffix_of_their_level(tree: list[dict[str, Any]]) -> None:
    for node, _ in walk(tree):
        assert node["name"].endswith(SUFFIXES[node["level"]]), f"{node['name']} ({node['level']})"


def test_cities_name_their_policy_and_districts_their_area(tree: list[dict[str, Any]]) -> None:
    assert {city["name"]: city.get("policy") for city in tree} == {
        "杭州市": "hangzhou",
        "聊城市": "liaocheng",
    }
    for node, _ in walk(tree):
        if node["level"] == "city":
            assert "area" not in node
        elif node["level"] == "district":
            assert node.get("area") in {"urban", "rural"}, node["name"]
            assert "policy" not in node
        else:
            assert "policy" not in node
            assert node.get("area", "rural") in {"urban", "rural"}, node["name"]
    for node, _ in walk(tree):
        if node["level"] == "community" and node["name"].endswith("村"):
            assert node.get("area") == "rural", f"{node['name']}: villages are rural"


def test_policy_files_exist_for_demo_cities(tree: list[dict[str, Any]]) -> None:
    policies = DATA.parents[4] / "policies"
    for city in tree:
        assert (policies / f"{city['policy']}.yaml").exists(), city["policy"]


def test_hangzhou_has_all_its_county_level_units(tree: list[dict[str, Any]]) -> None:
    hangzhou = next(city for city in tree if city["code"] == "330100")
    districts = {d["code"]: d["name"] for d in hangzhou["children"]}
    assert districts == HANGZHOU_DISTRICTS
    areas = {d["name"]: d["area"] for d in hangzhou["children"]}
    assert {name for name, area in areas.items() if area == "rural"} == {"桐庐县", "淳安县", "建德市"}


@pytest.mark.parametrize("district", ["330102", "330105", "330106", "330108"])
def test_core_hangzhou_districts_have_real_subdistricts(tree: list[dict[str, Any]], district: str) -> None:
    subdistricts = by_code(tree)[district]["children"]
    assert 3 <= len(subdistricts) <= 5
    assert all("code_source" not in s for s in subdistricts), "these codes are the NBS ones"


def test_known_subdistrict_codes(tree: list[dict[str, Any]]) -> None:
    # Spot checks against the NBS 2023 statistical division codes.
    codes = by_code(tree)
    expected = {
        "330102003": "湖滨街道",
        "330102001": "清波街道",
        "330102004": "小营街道",
        "330102010": "望江街道",
        "330106002": "北山街道",
        "330106004": "西溪街道",
        "330106012": "灵隐街道",
        "330106005": "翠苑街道",
        "330106013": "文新街道",
        "330108002": "长河街道",
        "371502010": "蒋官屯街道",
        "371502008": "北城街道",
    }
    assert {code: codes[code]["name"] for code in expected} == expected


def test_liaocheng_development_zone(tree: list[dict[str, Any]]) -> None:
    liaocheng = next(city for city in tree if city["code"] == "371500")
    (zone,) = liaocheng["children"]
    assert zone["name"] == "聊城经济技术开发区"
    assert zone["functional_zone"] is True and zone["code_source"] == "local" and zone["area"] == "urban"
    names = [s["name"] for s in zone["children"]]
    assert names == ["蒋官屯街道", "北城街道", "物流产业园区"]
    for subdistrict in zone["children"]:
        assert subdistrict.get("children"), subdistrict["name"]


def test_local_codes_use_reserved_blocks(tree: list[dict[str, Any]]) -> None:
    # Project-local community codes sit in the 9NN block, never used by the NBS for 居委会/村委会.
    for node, _ in walk(tree):
        if node.get("code_source") == "local" and node["level"] == "community":
            assert node["code"][9] == "9", node["name"]
