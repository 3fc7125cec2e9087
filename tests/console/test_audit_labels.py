"""Every action code the platform writes to the audit log has a Chinese and an English label.

The codes are read from the source with `ast`: literal `action=` arguments of `audit_record`,
`what=` of `audit_export` (+ ".export"), and the few helpers that build a code from a part
(WRAPPERS below). An `audit_record` call whose action is not a literal, outside those helpers,
fails the test: a new way of naming actions must be taught here, so no code escapes the table.
"""

from __future__ import annotations

import ast
from pathlib import Path

from zhucan.core.audit_actions import ACTION_LABELS, action_label

SRC = Path(__file__).resolve().parents[2] / "src" / "zhucan"

# (file relative to src/zhucan, helper function, argument holding the part: index or keyword, prefix)
WRAPPERS = {
    ("filing/services.py", "_audit"): (1, "action", "filing."),
    ("filing/services.py", "_stage_change"): (None, "action", "filing."),
    ("filing/terminal_reports.py", "_audit"): (1, "action", ""),
    ("settlement/services.py", "_save"): (None, "action", "statement."),
    ("funds/services.py", "_decide"): (None, "perm", "funds.subsidy."),
    ("funds/services.py", "_mark_paid"): (None, "action", ""),
    ("alerts/services.py", "_audit"): (1, "action", "alerts."),
}
# Calls whose action is computed in place, with every value it can take.
COMPUTED = {
    ("identity/identification.py", "PHOTO_VIEW_ACTION"): {"face.photo_view"},
    ("elders/services.py", "action"): {"elder.reveal_id", "elder.reveal_phone", "elder.reveal_address"},
    ("filing/services.py", "action"): set(),  # inside _audit itself (the wrapper above)
    ("filing/terminal_reports.py", "action"): set(),
    ("filing/terminal_reports.py", "f-string"): {"filing.terminal_test.receipt", "filing.terminal_test.identification",
                                                 "filing.terminal_test.meal"},  # one per TerminalTestKind
    ("settlement/services.py", "action"): set(),  # inside _save
    ("funds/services.py", "action"): set(),  # inside _mark_paid
    ("alerts/services.py", "action"): set(),  # inside _audit (the wrapper above)
}


def _strings(node) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    return set()


def _arg(call: ast.Call, index, keyword):
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if index is not None and len(call.args) > index:
        return call.args[index]
    return None


def written_action_codes() -> tuple[set[str], list[str]]:
    codes: set[str] = set()
    unknown: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(SRC).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in ("audit_record", "AuditLog"):
                value = _arg(node, None, "action")
                if value is None:
                    continue
                if rel == "core/audit.py":  # audit_export's own row: "<what>.export", read at its callers
                    continue
                found = _strings(value)
                if not found and isinstance(value, ast.Name) and (rel, value.id) in COMPUTED:
                    found = COMPUTED[(rel, value.id)] or {"<wrapper>"}
                if isinstance(value, ast.JoinedStr) and (rel, "action") in COMPUTED:
                    found = {"<wrapper>"}
                if not found:
                    unknown.append(f"{rel}:{node.lineno}")
                codes |= found - {"<wrapper>"}
            elif name == "audit_export":
                value = _arg(node, None, "what")
                found = _strings(value) if value is not None else set()
                if not found:
                    unknown.append(f"{rel}:{node.lineno}")
                codes |= {f"{w}.export" for w in found}
            elif (rel, name) in WRAPPERS:
                index, keyword, prefix = WRAPPERS[(rel, name)]
                value = _arg(node, index, keyword)
                found = _strings(value) if value is not None else set()
                if not found and not (isinstance(value, ast.Name) and value.id == keyword):
                    unknown.append(f"{rel}:{node.lineno}")
                if not found and isinstance(value, ast.JoinedStr) and (rel, "f-string") in COMPUTED:
                    found, prefix = COMPUTED[(rel, "f-string")], ""
                    unknown.pop()
                codes |= {prefix + f for f in found}
    return codes, unknown


def test_every_written_action_code_has_a_chinese_and_an_english_label():
    codes, unknown = written_action_codes()
    assert not unknown, f"audit actions this test cannot read (teach WRAPPERS/COMPUTED): {unknown}"
    assert len(codes) > 60  # the reader still finds the platform's actions
    missing = sorted(code for code in codes if code not in ACTION_LABELS)
    assert not missing, f"action codes without a label in zhucan.core.audit_actions: {missing}"
    for code in codes:
        zh, en = ACTION_LABELS[code]
        assert zh and en and zh != code and not zh.isascii(), code


def test_the_reader_sees_wrapped_and_computed_codes():
    codes, _unknown = written_action_codes()
    assert {"filing.decide", "statement.confirm", "funds.subsidy.review", "elder.reveal_phone",
            "face.photo_view", "funds.reward.pay", "elder.export"} <= codes


def test_an_unknown_code_is_shown_plainly_not_as_a_crash():
    assert action_label("elder.create") == "新增老人档案"
    assert action_label("someday.new_thing") == "someday.new_thing"
