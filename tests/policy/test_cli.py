import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.policy.conftest import FIXTURES, HERE, REPO, SHARED_EXAMPLES
from zhucan.policy.cli import main
from zhucan.policy.scenarios import run_files

OWN_SCENARIOS = sorted((HERE / "scenarios").glob("*.yaml"))


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_shared_examples_all_pass(capsys):
    code, out, _ = run(["test", str(SHARED_EXAMPLES)], capsys)
    lines = out.strip().splitlines()
    assert code == 0
    assert lines[-1] == "9 passed, 0 failed"
    assert all(line.startswith("ok") for line in lines[:-1])
    assert len(lines) == 10  # one line per meal + summary


@pytest.mark.parametrize("path", OWN_SCENARIOS, ids=lambda p: p.name)
def test_own_scenarios_all_pass(path):
    result = run_files([str(path)])
    failures = [line for line in result.lines if not line.startswith("ok")][:-1]
    assert failures == []
    assert result.failed == 0 and result.passed >= 10


def test_own_scenarios_cover_every_requirement():
    text = "\n".join(p.read_text(encoding="utf-8") for p in OWN_SCENARIOS)
    for req in ("HZ-1", "HZ-2", "HZ-3", "HZ-4", "HZ-5", "HZ-6", "HZ-7", "LC-4", "LC-8"):
        assert req in text, req
    for reason in ("NOT_ELIGIBLE_AGE", "EXCLUDED_TAG", "OUTSIDE_MEAL_PERIOD", "PERIOD_ALREADY_USED",
                   "DAILY_CAP_REACHED", "DAILY_MEALS_USED", "ELDER_INACTIVE", "NOT_VERIFIED",
                   "CANTEEN_NOT_DESIGNATED"):
        assert reason in text, reason


def test_a_wrong_expectation_fails_with_the_difference_and_explanation(tmp_path, capsys):
    f = tmp_path / "wrong.yaml"
    f.write_text(
        "- name: 错误期望\n  policy: hangzhou\n  elder: {birth_date: 1960-03-15}\n  canteen: {district: 上城区}\n"
        "  meals:\n    - {at: \"2025-06-02 11:30\", amount: \"15.00\", expect: {benefit: \"4.00\","
        " payable: \"11.00\", funders: {city: \"4.00\"}}}\n"
        "    - {at: \"2025-06-02 17:30\", amount: \"15.00\", expect: {benefit: \"3.00\"}}\n",
        encoding="utf-8")
    code, out, _ = run(["test", str(f)], capsys)
    lines = out.strip().splitlines()
    assert code == 1
    assert lines[-1] == "1 passed, 1 failed"
    assert lines[0].startswith("FAIL")
    assert "benefit expected 4.00, got 3.00" in lines[0]
    assert "payable expected 11.00, got 12.00" in lines[0]
    assert "funders expected {city: 4.00}, got {city: 3.00}" in lines[0]
    assert "65岁，8折" in lines[0]
    assert lines[1].startswith("ok")


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("{name: a, policy: hangzhou, elder: {birth_date: 1950-01-01}, canteen: {district: x}, meals: "
         "[{at: '2025-06-02 11:00', amount: '1.005', expect: {benefit: '0.00'}}]}", "meals[0].amount"),
        ("{name: a, policy: hangzhou, elder: {birth_date: 1950-01-01}, canteen: {district: x}, meals: "
         "[{at: '2025-06-02 11:00', amount: '-1.00', expect: {benefit: '0.00'}}]}", "meals[0].amount"),
        ("{name: a, policy: hangzhou, elder: {birth_date: 1950-01-01}, canteen: {district: x}, meals: "
         "[{at: 'tomorrow', amount: '1.00', expect: {benefit: '0.00'}}]}", "meals[0].at"),
        ("{name: a, policy: hangzhou, elder: {birth_date: '1950-13-01'}, canteen: {district: x}, meals: "
         "[{at: '2025-06-02 11:00', amount: '1.00', expect: {benefit: '0.00'}}]}", "elder.birth_date"),
        ("{name: a, policy: hangzhou, elder: {birth_date: 1950-01-01}, canteen: {district: x}, meals: "
         "[{at: '2025-06-02 11:00', amount: '1.00', expect: {benfit: '0.00'}}]}", "meals[0].expect"),
        ("{name: a, policy: hangzhou, elder: {birth_date: 1950-01-01}, meals: []}", "canteen"),
        ("{name: a, policy: hangzhou, elder: {birth_date: 1950-01-01}, canteen: {district: x, area: city}, meals: "
         "[{at: '2025-06-02 11:00', amount: '1.00', expect: {benefit: '0.00'}}]}", "canteen.area"),
        ("{name: a, policy: hangzhou, elder: {birth_date: 1950-01-01}, canteen: {district: x}, meals: "
         "[{at: '2025-06-02 11:00', amount: '1.00', expect: {reason: NOPE, benefit: '0'}}]}", "meals[0].expect.reason"),
    ],
)
def test_malformed_case_names_file_case_and_field(tmp_path, capsys, case, field):
    f = tmp_path / "bad.yaml"
    f.write_text(f"- {case}\n", encoding="utf-8")
    code, out, _ = run(["test", str(f)], capsys)
    lines = out.strip().splitlines()
    assert code == 1
    assert lines[-1] == "0 passed, 1 failed"
    assert lines[0].startswith("ERROR")
    assert str(f) in lines[0] and "case #1" in lines[0] and field in lines[0]


def test_impossible_unquoted_date_is_a_file_error(tmp_path, capsys):
    f = tmp_path / "d.yaml"
    f.write_text("- {name: a, elder: {birth_date: 1950-13-01}}\n", encoding="utf-8")
    code, out, _ = run(["test", str(f)], capsys)
    assert code == 1 and str(f) in out and "month must be in 1..12" in out


def test_unknown_policy_in_case(tmp_path, capsys):
    f = tmp_path / "p.yaml"
    f.write_text("- {name: a, policy: atlantis, elder: {birth_date: 1950-01-01}, canteen: {district: x}, meals: "
                 "[{at: '2025-06-02 11:00', amount: '1.00', expect: {benefit: '0.00'}}]}\n", encoding="utf-8")
    code, out, _ = run(["test", str(f)], capsys)
    assert code == 1 and "unknown policy 'atlantis'" in out and out.strip().endswith("0 passed, 1 failed")


def test_unreadable_and_non_list_files(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("- name: [\n", encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("name: x\n", encoding="utf-8")
    code, out, _ = run(["test", str(tmp_path / "missing.yaml"), str(broken), str(mapping)], capsys)
    assert code == 1
    assert "file not found" in out and "invalid YAML" in out and "expected a list of cases" in out
    assert out.strip().splitlines()[-1] == "0 passed, 3 failed"


def test_one_bad_case_does_not_stop_the_others(tmp_path, capsys):
    f = tmp_path / "mixed.yaml"
    f.write_text(
        "- {name: bad, policy: hangzhou}\n"
        "- {name: good, policy: hangzhou, elder: {birth_date: 1950-01-01}, canteen: {district: x}, meals: "
        "[{at: '2025-06-02 11:00', amount: '10.00', expect: {benefit: '2.00'}}]}\n", encoding="utf-8")
    code, out, _ = run(["test", str(f)], capsys)
    assert code == 1 and out.strip().splitlines()[-1] == "1 passed, 1 failed"


def test_check_command(tmp_path, capsys):
    code, out, _ = run(["check", str(REPO / "policies" / "hangzhou.yaml"), str(REPO / "policies" / "liaocheng.yaml"),
                        str(REPO / "policies" / "overlays" / "xihu.yaml"),
                        str(REPO / "policies" / "reforms" / "hz_cap25_80s_6zhe.yaml"),
                        str(FIXTURES / "testcity.yaml")], capsys)
    assert code == 0, out
    assert out.count(": ok") == 5
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "policies" / "hangzhou.yaml").read_text(encoding="utf-8").replace("funder: city",
                                                                                               "funder: town"),
                   encoding="utf-8")
    code, out, _ = run(["check", str(bad)], capsys)
    assert code == 1
    assert str(bad) in out and "versions[0].layers[0].rules[0].funder" in out and "unknown funder 'town'" in out


def test_show_command_prints_readable_chinese(capsys):
    code, out, _ = run(["show", "hangzhou", "--date", "2025-06-02"], capsys)
    assert code == 0
    for text in ("杭州市老年人智慧助餐优惠", "hz-2022", "2022-09-01", "60-79周岁：8折", "80-89周岁：7折",
                 "90周岁及以上：5折", "每日最高优惠20.00元", "午餐 10:30–12:30", "HZ 三（二）"):
        assert text in out, text
    assert "食堂公告了某时段开放时间的，以公告时间为该时段的优惠时段" in out
    code, out, _ = run(["show", "liaocheng"], capsys)
    assert code == 0 and "每日限1餐" in out and "购买居家养老服务" in out and "城区满13000人次" in out
    assert "按各规则金额比例分摊" in out
    code, out, _ = run(["show", "hangzhou", "--overlay", "xihu", "--date", "2025-01-01"], capsys)
    assert code == 0 and "西湖区80周岁以上户籍老人区级补贴" in out


def test_show_errors_are_one_line(capsys):
    code, _, err = run(["show", "atlantis"], capsys)
    assert code == 1 and err.startswith("error:") and "Traceback" not in err
    code, _, err = run(["show", "hangzhou", "--date", "2020-01-01"], capsys)
    assert code == 1 and "no version in force" in err
    code, _, err = run(["show", "hangzhou", "--date", "June"], capsys)
    assert code == 2 and "--date" in err
    code, _, err = run(["frobnicate"], capsys)
    assert code == 2


def test_entry_point_end_to_end(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    ok = subprocess.run([sys.executable, "-m", "zhucan.cli", "policy", "test", str(OWN_SCENARIOS[0])],
                        capture_output=True, text=True, env=env, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().splitlines()[-1].endswith(" passed, 0 failed")
    missing = subprocess.run([sys.executable, "-m", "zhucan.cli", "policy", "test", str(Path(tmp_path) / "no.yaml")],
                             capture_output=True, text=True, env=env, cwd=tmp_path)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stdout.strip().splitlines()[-1] == "0 passed, 1 failed"
