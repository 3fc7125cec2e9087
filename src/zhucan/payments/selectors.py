"""Reads of online payment, scoped to the actor (district: its canteens; canteen staff: their own)."""

from __future__ import annotations

from zhucan.accounts.scoping import restrict
from zhucan.payments.models import Payment, Reconciliation, ReconciliationItem


def mismatches(*, user, limit: int = 200):
    return restrict(ReconciliationItem.objects.select_related("reconciliation", "canteen", "payment__order__elder"),
                    user, "view").order_by("-reconciliation__day", "kind", "out_trade_no")[:limit]


def recent_runs(*, limit: int = 14):
    return Reconciliation.objects.order_by("-day")[:limit]


def payments(*, user, limit: int = 100):
    qs = Payment.objects.select_related("canteen", "order__elder")
    return restrict(qs, user, "view").order_by("-created_at")[:limit]
