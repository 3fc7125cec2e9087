"""The hash chain over each canteen's ledger records (tamper evidence).

Each record's hash is SHA-256 over the previous record's hash and a canonical JSON of the record
(its money, items, benefit lines, tenders, elder, moment, policy version, usage). Verification walks
each canteen's records in chain order and reports a record whose content no longer matches its
hash (altered), whose `prev_hash` does not match its predecessor (inserted or reordered), a gap in
the sequence (deleted), or a chain head that points past the last record (deleted at the end).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

GENESIS = "0" * 64


def canonical(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def record_hash(prev_hash: str, record: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(record)).hexdigest()


def meal_record(*, receipt_no: str, canteen_id: int, chain_seq: int, kind: str, reverses: str | None,
                elder_id: int | None, at_iso: str, gross_fen: int, benefit_fen: int, payable_fen: int,
                items: list, lines: list, tenders: list, policy_version: str, usage_delta: dict) -> dict:
    """The content the hash covers; built the same way at commit and at verification."""
    return {
        "receipt_no": receipt_no, "canteen": canteen_id, "seq": chain_seq, "kind": kind, "reverses": reverses,
        "elder": elder_id, "at": at_iso, "gross": gross_fen, "benefit": benefit_fen, "payable": payable_fen,
        "items": [list(i) for i in items], "lines": [list(ln) for ln in lines],
        "tenders": [list(t) for t in tenders], "policy": policy_version, "usage": usage_delta,
    }


@dataclass
class ChainProblem:
    canteen_id: int
    chain_seq: int | None
    receipt_no: str
    kind: str  # altered | broken_link | missing | head_mismatch
    detail: str

    def __str__(self) -> str:
        return f"canteen {self.canteen_id} seq {self.chain_seq} {self.receipt_no}: {self.kind} — {self.detail}"


def verify_records(canteen_id: int, records: list[tuple[int, str, str, str, dict]],
                   head: tuple[int, str] | None) -> list[ChainProblem]:
    """`records`: (chain_seq, receipt_no, prev_hash, stored_hash, content) in chain order."""
    problems: list[ChainProblem] = []
    expected_prev, expected_seq = GENESIS, 1
    for seq, receipt, prev, stored, content in records:
        if seq != expected_seq:
            problems.append(ChainProblem(canteen_id, seq, receipt, "missing",
                                         f"records {expected_seq}..{seq - 1} are missing"))
        if prev != expected_prev:
            problems.append(ChainProblem(canteen_id, seq, receipt, "broken_link",
                                         "prev_hash does not match the previous record"))
        actual = record_hash(prev, content)
        if actual != stored:
            problems.append(ChainProblem(canteen_id, seq, receipt, "altered",
                                         "content does not match its hash"))
        expected_prev, expected_seq = stored, seq + 1
    if head is not None:
        head_seq, head_hash = head
        if head_seq != expected_seq - 1 or (head_seq and head_hash != expected_prev):
            problems.append(ChainProblem(canteen_id, head_seq, "", "head_mismatch",
                                         f"chain head says {head_seq} records, found {expected_seq - 1}"))
    return problems
