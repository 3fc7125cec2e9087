"""Micro benchmark of zhucan.core.idnumber.parse_id_number.

Prints the median time per call over several runs, next to a floor measured in
the same run on the same machine: the bare MOD 11-2 check-digit computation
(a plain loop over the 17 digits, i.e. what any validator must do at least).
The ratio parse/floor is the figure to compare across machines; absolute
microseconds on a shared, noisy box are only indicative.

    PYTHONPATH=src .venv/bin/python benchmarks/idnumber_bench.py [--runs 7] [--number 20000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit
from datetime import date
from pathlib import Path

# This checkout's code, not whichever copy the virtualenv has installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import zhucan.core.idnumber as idn

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def floor_check_digit(number: str) -> bool:
    """The minimal baseline: textbook check-digit computation and comparison."""
    total = 0
    for ch, w in zip(number[:17], _WEIGHTS, strict=True):
        total += int(ch) * w
    return _CHECK[total % 11] == number[17]


def _numbers(count: int = 64) -> list[str]:
    regions = ["330106", "330102", "330105", "330127", "371502", "933840"]
    return [
        idn.make_id_number(
            regions[i % len(regions)], date(1925 + i % 70, 1 + i % 12, 1 + i % 28), i % 500, "MF"[i % 2]
        )
        for i in range(count)
    ]


def _per_call_us(stmt, number: int, runs: int, batch: int) -> tuple[float, float, float]:
    times = timeit.repeat(stmt, number=number, repeat=runs)
    per_call = [t / (number * batch) * 1e6 for t in times]
    return statistics.median(per_call), min(per_call), max(per_call)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timing runs (median reported)")
    parser.add_argument("--number", type=int, default=500, help="loops per run over the sample")
    args = parser.parse_args()

    numbers = _numbers()
    today = date(2025, 6, 1)
    decorated = [f" {n.lower()} " for n in numbers]
    fullwidth = [n.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")) for n in numbers]
    bad_check = [n[:17] + ("0" if n[17] != "0" else "1") for n in numbers]
    parse = idn.parse_id_number
    batch = len(numbers)

    def bench_floor():
        for n in numbers:
            floor_check_digit(n)

    def bench_parse():
        for n in numbers:
            parse(n, today=today)

    def bench_parse_default_today():
        for n in numbers:
            parse(n)

    def bench_parse_decorated():
        for n in decorated:
            parse(n, today=today)

    def bench_parse_fullwidth():
        for n in fullwidth:
            parse(n, today=today)

    def bench_parse_bad_check():
        for n in bad_check:
            try:
                parse(n, today=today)
            except idn.IdNumberError:
                pass

    cases = [
        ("floor: check digit only", bench_floor),
        ("parse_id_number(today=...)", bench_parse),
        ("parse_id_number() default today", bench_parse_default_today),
        ("parse, spaces + lower-case x", bench_parse_decorated),
        ("parse, full-width (NFKC path)", bench_parse_fullwidth),
        ("parse, BAD_CHECK_DIGIT raised", bench_parse_bad_check),
    ]
    print(f"python {sys.version.split()[0]}, {args.runs} runs x {args.number} loops x {batch} numbers")
    print(f"{'case':36} {'median µs':>10} {'min':>7} {'max':>7} {'x floor':>8}")
    floor = None
    for name, fn in cases:
        med, lo, hi = _per_call_us(fn, args.number, args.runs, batch)
        if floor is None:
            floor = med
        print(f"{name:36} {med:10.2f} {lo:7.2f} {hi:7.2f} {med / floor:8.2f}")


if __name__ == "__main__":
    main()
