"""The floors of the code base: which app may import which (docs/architecture.md, "Floors").

Read from the source with `ast`, every import counts: module level, inside functions (a lazy import
is still a dependency) and `importlib.import_module("zhucan....")` with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
ZHUCAN = SRC / "zhucan"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of the zhucan modules `path` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return {name for name in found if name == "zhucan" or name.startswith("zhucan.")}


def _package_imports(package: str) -> dict[str, set[str]]:
    root = ZHUCAN / package.removeprefix("zhucan.").replace(".", "/")
    files = [root.with_suffix(".py")] if root.with_suffix(".py").exists() else sorted(root.rglob("*.py"))
    return {_module_name(f): _imports(f) for f in files if "migrations" not in f.parts}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _violations(package: str, allowed: tuple[str, ...]) -> list[str]:
    return sorted(f"{module} imports {name}" for module, names in _package_imports(package).items()
                  for name in names if not _within(name, (package, *allowed)))


def test_the_import_reader_sees_lazy_relative_and_dynamic_imports(tmp_path, monkeypatch):
    pkg = tmp_path / "zhucan" / "demo_pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text(
        "import importlib\nfrom . import sibling\n"
        "def f():\n    from zhucan.settlement.locks import is_locked\n"
        "    return importlib.import_module('zhucan.elders.models')\n")
    monkeypatch.setattr(f"{__name__}.SRC", tmp_path)
    assert _imports(pkg / "mod.py") == {"zhucan.demo_pkg", "zhucan.demo_pkg.sibling", "zhucan.settlement.locks",
                                        "zhucan.settlement.locks.is_locked", "zhucan.elders.models"}


# An app may import the apps of its own floor and of the floors below, never above.
FLOORS = [
    ("core",),
    ("policy",),
    ("regions", "accounts", "canteens"),  # the registries place each other in the tree
    ("elders", "identity", "face"),  # the elder and what identifies them: a card is bound at registration
    ("rules",),
    ("checkout",),  # the ledger: identifies through identity, rates through rules
    ("api", "settlement", "funds", "elderphone", "filing", "privacy"),  # they read the ledger
    # Supervision and service around the meal: they read the ledger, settlement, funds and filing
    # and write through their own services; nothing below imports them.
    ("alerts", "analytics", "evaluation", "assessment", "inspections", "video", "orders", "payments", "delivery"),
    ("console", "demo"),
]
FLOOR = {app: level for level, apps in enumerate(FLOORS) for app in apps}


def test_every_app_has_a_floor():
    apps = {p.name for p in ZHUCAN.iterdir() if (p / "__init__.py").exists()}
    assert apps == set(FLOOR)


@pytest.mark.parametrize("app", sorted(FLOOR))
def test_no_app_imports_a_floor_above_its_own(app):
    below = tuple(f"zhucan.{other}" for other, level in FLOOR.items() if level <= FLOOR[app])
    assert _violations(f"zhucan.{app}", below) == []


def test_core_is_the_ground_floor():
    """core holds what every app needs and no domain: it imports no other zhucan app."""
    assert _violations("zhucan.core", ()) == []


def test_the_policy_engine_imports_only_the_money_module():
    """The engine stays pure Python: of the platform it may use only core.money (no Django)."""
    assert _violations("zhucan.policy", ("zhucan.core.money",)) == []


def test_the_ledger_never_imports_settlement():
    """settlement reads the ledger (checkout); the ledger owns the month lock and never looks up."""
    assert [v for v in _violations("zhucan.checkout", ()) if "zhucan.settlement" in v] == []


def test_policies_are_loaded_only_by_the_adapter():
    loaders = sorted(module for app, level in FLOOR.items() if app not in ("policy", "rules")
                     for module, names in _package_imports(f"zhucan.{app}").items()
                     if {"zhucan.policy.load_policy", "zhucan.policy.loader"} & names)
    assert loaders == []
