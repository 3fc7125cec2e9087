"""``zhucan policy ...``: test scenario files, check and show policies, simulate reforms.

Every expected failure (bad file, unknown policy, bad input) prints a one-line error and returns a
non-zero exit code — never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from .errors import PolicyError, PolicyLoadError


class _ArgError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ArgError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="zhucan policy", description="城市助餐政策引擎 (policy engine)")
    p.add_argument("--policy-dir", help="directory of policy files (default: ZHUCAN_POLICY_DIR or <repo>/policies)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    t = sub.add_parser("test", help="run scenario files (policy-scenarios.md)")
    t.add_argument("files", nargs="+")
    t.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")
    c = sub.add_parser("check", help="validate a policy, overlay or reform file")
    c.add_argument("files", nargs="+")
    s = sub.add_parser("show", help="print the version in force in readable Chinese")
    s.add_argument("name")
    s.add_argument("--date", help="YYYY-MM-DD (default: the latest version)")
    s.add_argument("--overlay", action="append", default=[], help="layer a district overlay (repeatable)")
    m = sub.add_parser("simulate", help="re-rate historical meals under a baseline and a reform")
    m.add_argument("--baseline", required=True)
    m.add_argument("--reform", required=True)
    m.add_argument("--meals", required=True, help="CSV or Parquet file of meals")
    m.add_argument("--overlay", action="append", default=[], help="layer a district overlay on both")
    m.add_argument("--engine", choices=("auto", "vector", "per-meal"), default="auto")
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``zhucan policy``; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
    except _ArgError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    try:
        if args.command == "test":
            return _test(args)
        if args.command == "check":
            return _check(args)
        if args.command == "show":
            return _show(args)
        return _simulate(args)
    except PolicyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _test(args: argparse.Namespace) -> int:
    from .scenarios import run_files

    def emit(line: str) -> None:
        if not args.quiet or not line.startswith("ok"):
            print(line, flush=False)

    result = run_files(args.files, policy_dir=args.policy_dir, emit=emit)
    sys.stdout.flush()
    return 0 if result.failed == 0 and result.passed > 0 else 1


def check_file(path: Path, policy_dir: str | None = None) -> str:
    """Validate one policy / overlay / reform file; return a one-line summary or raise PolicyLoadError."""
    from .loader import attach_overlay, load_policy, load_reform, read_yaml
    from .schema import compile_policy

    doc = read_yaml(path)
    kind = doc.get("kind", "policy") if isinstance(doc, dict) else None
    if kind == "overlay":
        extends = doc.get("extends")
        sibling = path.resolve().parent.parent
        base_dir = policy_dir or (sibling if (sibling / f"{extends}.yaml").exists() else None)
        try:
            base = load_policy(str(extends), policy_dir=base_dir)
        except PolicyError as exc:
            raise PolicyLoadError(str(path), "extends", f"cannot load the city policy: {exc}") from None
        overlay = attach_overlay(base, path)
        n = sum(len(layers) for _, _, layers in overlay.versions)
        return f"{path}: ok — overlay {overlay.id} on {base.id}, {len(overlay.versions)} version(s), {n} layer(s)"
    if kind == "reform":
        policy = load_reform(path, policy_dir=policy_dir or path.resolve().parent.parent)
        return f"{path}: ok — reform {policy.id}"
    policy = compile_policy(doc, str(path))
    return (f"{path}: ok — policy {policy.id}, {len(policy.versions)} version(s): "
            + ", ".join(f"{v.id} from {v.effective_from}" for v in policy.versions))


def _check(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.files:
        try:
            print(check_file(Path(name), args.policy_dir))
        except PolicyError as exc:
            print(f"error: {exc}")
            failed += 1
    return 1 if failed else 0


def _show(args: argparse.Namespace) -> int:
    from .explain import show_version_zh
    from .loader import load_policy

    policy = load_policy(args.name, policy_dir=args.policy_dir, overlays=args.overlay)
    if args.date:
        try:
            day = date.fromisoformat(args.date)
        except ValueError:
            print(f"error: --date: not a valid date (YYYY-MM-DD): {args.date!r}", file=sys.stderr)
            return 2
        version = policy.version_on(day)
    else:
        starts = [policy.latest().effective_from, *(v[0] for o in policy.overlays for v in o.versions)]
        version = policy.version_on(max(starts))
    print(show_version_zh(policy, version))
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from .simulate import format_report, simulate_files

    report = simulate_files(args.baseline, args.reform, args.meals, policy_dir=args.policy_dir,
                            overlays=args.overlay, engine=args.engine)
    print(format_report(report))
    return 0
