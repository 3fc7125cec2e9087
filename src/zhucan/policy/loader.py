"""Find, read and compile policy, overlay and reform files.

Policies live in a directory: ``<repo>/policies`` by default, overridden by the environment
variable ``ZHUCAN_POLICY_DIR`` or an explicit ``policy_dir``. A policy is named by its id
(``hangzhou`` -> ``policies/hangzhou.yaml``); overlays live in ``policies/overlays/`` and reforms in
``policies/reforms/``.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .errors import PolicyLoadError, PolicyNotFound
from .model import Overlay, Policy
from .schema import compile_overlay, compile_policy

DEFAULT_POLICY_DIR = Path(__file__).resolve().parents[3] / "policies"
_NAME_RE = re.compile(r"^[A-Za-z0-9_\-]+$")


def resolve_policy_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The directory policies are read from: explicit argument, ``ZHUCAN_POLICY_DIR``, or the default."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("ZHUCAN_POLICY_DIR")
    return Path(env) if env else DEFAULT_POLICY_DIR


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; unreadable or malformed files raise :class:`PolicyLoadError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyLoadError(str(path), "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyLoadError(str(path), "", f"cannot read file: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyLoadError(str(path), where, f"invalid YAML: {problem}") from None
    except ValueError as exc:  # e.g. an unquoted 1950-13-01 that YAML reads as an impossible date
        raise PolicyLoadError(str(path), "", f"invalid value in YAML: {exc}") from None


def _resolve(name_or_path: str | os.PathLike[str], directory: Path, sub: str = "") -> Path:
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or os.sep in text or "/" in text:
        return Path(text)
    if not _NAME_RE.match(text):
        raise PolicyNotFound(f"invalid policy name {text!r}")
    base = directory / sub if sub else directory
    for ext in (".yaml", ".yml"):
        candidate = base / f"{text}{ext}"
        if candidate.exists():
            return candidate
    kind = "overlay" if sub == "overlays" else "reform" if sub == "reforms" else "policy"
    known = available(directory, sub)
    raise PolicyNotFound(f"unknown {kind} {text!r} in {base} (known: {', '.join(known) or 'none'})")


def available(directory: str | os.PathLike[str] | None = None, sub: str = "") -> list[str]:
    """Names of the policy (or ``sub``: overlays / reforms) files in a directory."""
    base = resolve_policy_dir(directory)
    base = base / sub if sub else base
    if not base.is_dir():
        return []
    return sorted(p.stem for p in base.iterdir() if p.suffix in (".yaml", ".yml"))


def compile_policy_file(path: Path) -> Policy:
    return compile_policy(read_yaml(path), str(path))


def load_policy(
    name_or_path: str | os.PathLike[str],
    *,
    policy_dir: str | os.PathLike[str] | None = None,
    overlays: Iterable[str | os.PathLike[str]] | str = (),
) -> Policy:
    """Load and validate a policy by id (``hangzhou``) or path, with the named district overlays.

    ``overlays``: overlay ids (in ``<policy_dir>/overlays``) or paths, or ``"all"`` for every
    overlay in that directory that extends this policy. Overlays are layered in the order given
    (``"all"``: sorted by id) — see docs/policy.md "Layering".
    """
    directory = resolve_policy_dir(policy_dir)
    policy = compile_policy_file(_resolve(name_or_path, directory))
    if overlays == "all":
        names: list[str | os.PathLike[str]] = []
        for name in available(directory, "overlays"):
            path = _resolve(name, directory, "overlays")
            doc = read_yaml(path)
            if isinstance(doc, dict) and doc.get("extends") == policy.id:
                names.append(path)
    elif isinstance(overlays, str):
        names = [overlays]
    else:
        names = list(overlays)
    for name in names:
        attach_overlay(policy, _resolve(name, directory, "overlays"))
    return policy


def attach_overlay(policy: Policy, path: Path) -> Overlay:
    """Validate an overlay file against ``policy`` and layer it on top (after existing overlays)."""
    overlay = compile_overlay(read_yaml(path), str(path), policy)
    if any(o.id == overlay.id for o in policy.overlays):
        raise PolicyLoadError(str(path), "id", f"overlay {overlay.id!r} is already layered on {policy.id!r}")
    policy.overlays = (*policy.overlays, overlay)
    policy.funders.update(overlay.funders)
    policy._composed.clear()
    policy._by_day.clear()
    return overlay


# --- reforms (OpenFisca-style what-if: overrides on a copy of the baseline) ---------------------------

_SEG_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]]+)\])?$")


def _select(container: Any, selector: str, file: str, path: str) -> Any:
    if not isinstance(container, list):
        raise PolicyLoadError(file, path, "selector [..] used on something that is not a list")
    if selector.isdigit():
        idx = int(selector)
        if idx >= len(container):
            raise PolicyLoadError(file, path, f"index {idx} out of range")
        return idx
    key, _, value = selector.partition("=") if "=" in selector else ("id", "", selector)
    for i, item in enumerate(container):
        if isinstance(item, dict) and str(item.get(key)) == value:
            return i
    raise PolicyLoadError(file, path, f"no item with {key}={value}")


def _set_path(doc: dict, dotted: str, value: Any, file: str, where: str) -> None:
    parts = dotted.split(".")
    node: Any = doc
    # A rule id may contain dots (hz.city.discount): rejoin segments inside brackets.
    segs: list[str] = []
    for part in parts:
        if segs and segs[-1].count("[") > segs[-1].count("]"):
            segs[-1] += "." + part
        else:
            segs.append(part)
    for n, seg in enumerate(segs):
        m = _SEG_RE.match(seg)
        if not m:
            raise PolicyLoadError(file, where, f"bad path segment {seg!r}")
        key, selector = m.group(1), m.group(2)
        last = n == len(segs) - 1
        if not isinstance(node, dict) or (key not in node and not (last and selector is None)):
            raise PolicyLoadError(file, where, f"path {dotted!r}: no key {key!r}")
        if selector is None:
            if last:
                node[key] = value
                return
            node = node[key]
        else:
            idx = _select(node[key], selector, file, where)
            if last:
                node[key][idx] = value
                return
            node = node[key][idx]


def load_reform(
    path: str | os.PathLike[str],
    *,
    policy_dir: str | os.PathLike[str] | None = None,
) -> Policy:
    """Build the reformed policy: the baseline file with the reform's changes applied to a copy.

    A reform file::

        kind: reform
        id: cap25
        baseline: hangzhou
        name_zh: 每日封顶提高到25元
        versions: all            # or a list of version ids to change
        changes:
          - {path: "layers[city].limits.daily_cap", value: "25.00"}
    """
    directory = resolve_policy_dir(policy_dir)
    file_path = _resolve(path, directory, "reforms")
    file = str(file_path)
    doc = read_yaml(file_path)
    if not isinstance(doc, dict):
        raise PolicyLoadError(file, "", "expected a mapping")
    allowed = {"kind", "id", "baseline", "name_zh", "name_en", "versions", "changes", "ref"}
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise PolicyLoadError(file, "", f"unknown key(s) {', '.join(unknown)}")
    for key in ("kind", "id", "baseline", "changes"):
        if key not in doc:
            raise PolicyLoadError(file, "", f"missing required key {key}")
    if doc["kind"] != "reform":
        raise PolicyLoadError(file, "kind", f"expected 'reform', got {doc['kind']!r}")
    base_path = _resolve(str(doc["baseline"]), directory)
    base_doc = copy.deepcopy(read_yaml(base_path))
    if not isinstance(base_doc, dict) or not isinstance(base_doc.get("versions"), list):
        # Let the schema produce the precise error.
        compile_policy(base_doc, str(base_path))
    which = doc.get("versions", "all")
    targets = [v for v in base_doc["versions"] if which == "all" or str(v.get("id")) in {str(x) for x in which}]
    if not targets:
        raise PolicyLoadError(file, "versions", f"no baseline version matches {which!r}")
    changes = doc["changes"]
    if not isinstance(changes, list) or not changes:
        raise PolicyLoadError(file, "changes", "expected a non-empty list of {path, value}")
    for i, change in enumerate(changes):
        where = f"changes[{i}]"
        if not isinstance(change, dict) or set(change) - {"path", "value", "ref"} or "path" not in change \
                or "value" not in change:
            raise PolicyLoadError(file, where, "expected {path, value[, ref]}")
        for version in targets:
            _set_path(version, str(change["path"]), change["value"], file, f"{where}.path")
    base_doc["id"] = f"{base_doc.get('id')}.{doc['id']}"
    if doc.get("name_zh"):
        base_doc["name_zh"] = f"{base_doc.get('name_zh')}（改革方案：{doc['name_zh']}）"
    return compile_policy(base_doc, f"{file} (applied to {base_path})")
