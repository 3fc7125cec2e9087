"""The platform's own detectors over the meal ledger (one query per rule per day)."""

from __future__ import annotations


def register_all() -> None:
    """Register the ledger rules (called from AlertsConfig.ready)."""
