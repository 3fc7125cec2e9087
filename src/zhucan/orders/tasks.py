"""Periodic work of ordering ahead: standing orders before each cut-off, expiry at period end."""

from __future__ import annotations

from django_tasks import task

from zhucan.checkout.reservations import reservations_expire
from zhucan.orders.handover import orders_expire
from zhucan.orders.standing import standing_generate_due


@task()
def standing_generate_task() -> int:
    return standing_generate_due()


@task()
def orders_expire_task() -> int:
    return orders_expire() + reservations_expire()
