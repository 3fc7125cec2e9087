"""The eating half of `elders.ElderReach`, from the elder × month roll-up.

A trigger on `checkout_eldermonthrollup` (migration 0010) keeps it in the meal's transaction: the
checkout sets or clears a day's bit in the elder's month row, and the trigger moves the same bit
into the elder's reach row (the month's days while it is the latest or the one before, and a bit
per month for 36 months). Here: the same state recomputed from the month rows, to rebuild it
(`zhucan rollups rebuild`) and to hold the stored rows against it (`zhucan ledger verify`), and the
registry half held against the elders table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from zhucan.elders.models import MONTHS_KEPT

KEPT = (1 << MONTHS_KEPT) - 1

_MONTH_NO = {
    "postgresql": "(CAST(extract(year FROM {c}) AS INTEGER) * 12 + CAST(extract(month FROM {c}) AS INTEGER) - 1)",
    "sqlite": "(CAST(strftime('%Y', {c}) AS INTEGER) * 12 + CAST(strftime('%m', {c}) AS INTEGER) - 1)",
}
_ONE = {"postgresql": "CAST(1 AS BIGINT)", "sqlite": "1"}


def _expected_sql(vendor: str) -> str:
    """elder_id, month, months_mask, days_mask, prev_days_mask per elder with a month row."""
    no = _MONTH_NO[vendor].format(c="month")
    one = _ONE[vendor]
    return f"""
SELECT r.elder_id AS elder_id, t.m AS m,
  CAST(SUM(CASE WHEN r.days_mask <> 0 AND t.m - r.i < {MONTHS_KEPT} THEN {one} << (t.m - r.i) ELSE 0 END)
    AS BIGINT) AS mm,
  CAST(SUM(CASE WHEN r.i = t.m THEN r.days_mask ELSE 0 END) AS BIGINT) AS dm,
  CAST(SUM(CASE WHEN r.i = t.m - 1 THEN r.days_mask ELSE 0 END) AS BIGINT) AS pdm
FROM (SELECT elder_id, {no} AS i, days_mask FROM checkout_eldermonthrollup) r
JOIN (SELECT elder_id, MAX({no}) AS m FROM checkout_eldermonthrollup GROUP BY elder_id) t ON t.elder_id = r.elder_id
GROUP BY r.elder_id, t.m"""


def reach_refresh() -> int:
    """Rewrite every elder's eating half from the month roll-up (inside the caller's transaction);
    returns the rows that have one."""
    vendor = connection.vendor
    with connection.cursor() as cur:
        cur.execute("UPDATE elders_elderreach SET month = NULL, months_mask = 0, days_mask = 0, prev_days_mask = 0 "
                    "WHERE month IS NOT NULL")
        cur.execute(f"""UPDATE elders_elderreach SET month = x.m, months_mask = x.mm, days_mask = x.dm,
  prev_days_mask = x.pdm FROM ({_expected_sql(vendor)}) x WHERE x.elder_id = elders_elderreach.elder_id""")
        return cur.rowcount


def _as_of(month: int, state: tuple[int, int, int, int], at: int) -> tuple[int, int, int]:
    """The eating half seen from a later month `at` (what each query would read from it)."""
    m, mm, dm, pdm = state
    shift = at - m
    masks = (mm << shift) & KEPT if shift < MONTHS_KEPT else 0
    return masks, dm if shift == 0 else 0, pdm if shift == 0 else (dm if shift == 1 else 0)


@dataclass(frozen=True)
class ReachProblem:
    elder_id: int
    what: str

    def __str__(self) -> str:
        return f"elder {self.elder_id}: coverage facts {self.what}"


def _registry_mismatches() -> list[ReachProblem]:
    vendor = connection.vendor
    tags = ("COALESCE((SELECT ',' || string_agg(CAST(tag_id AS text), ',' ORDER BY tag_id) || ',' "
            "FROM elders_elder_tags t WHERE t.elder_id = e.id), '')" if vendor == "postgresql" else
            "COALESCE((SELECT ',' || group_concat(tag_id, ',') || ',' FROM (SELECT tag_id FROM elders_elder_tags t "
            "WHERE t.elder_id = e.id ORDER BY tag_id)), '')")
    eligible = "(e.status = 'active' AND e.verification = 'verified' AND e.erased_at IS NULL)"
    with connection.cursor() as cur:
        cur.execute(f"""
SELECT e.id, CASE WHEN f.elder_id IS NULL THEN 'missing' ELSE 'differ from the registry' END
FROM elders_elder e JOIN regions_region r ON r.id = e.community_id
LEFT JOIN elders_elderreach f ON f.elder_id = e.id
WHERE f.elder_id IS NULL OR f.community_id <> e.community_id OR f.region_path <> r.path OR f.name <> e.name
  OR f.birth_date <> e.birth_date OR f.eligible <> {eligible} OR f.tag_ids <> {tags}
ORDER BY e.id""")
        return [ReachProblem(pk, what) for pk, what in cur.fetchall()]


def reach_verify() -> tuple[int, list[ReachProblem]]:
    """(rows compared, problems): each elder's reach row against the registry and the month
    roll-up. A row whose latest month is later than the roll-up's (a month row deleted by a
    rebuild) is compared as seen from the later month: both answer every query the same."""
    problems = _registry_mismatches()
    with connection.cursor() as cur:
        cur.execute(_expected_sql(connection.vendor))
        want = {row[0]: tuple(int(v) for v in row[1:]) for row in cur.fetchall()}
        cur.execute("SELECT elder_id, month, months_mask, days_mask, prev_days_mask FROM elders_elderreach")
        have = {row[0]: row[1:] for row in cur.fetchall()}
    for elder_id, (month, mm, dm, pdm) in sorted(have.items()):
        expected = want.get(elder_id)
        if month is None or expected is None:
            if month is not None and (mm or dm or pdm):
                problems.append(ReachProblem(elder_id, "show meals the roll-up does not have"))
            elif month is None and expected is not None:
                problems.append(ReachProblem(elder_id, "miss the months the roll-up has"))
            continue
        at = max(month, expected[0])
        if _as_of(month, (month, mm, dm, pdm), at) != _as_of(expected[0], expected, at):
            problems.append(ReachProblem(elder_id, "differ from the month roll-up"))
    return len(have), problems
