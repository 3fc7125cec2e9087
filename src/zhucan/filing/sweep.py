"""The daily sweep of designations (HZ-8): tell the district before an agreement ends, before the
annual re-check is due and before the food business licence expires (HZ-F1), and suspend a
designated canteen whose licence has lapsed. Idempotent: a reminder is raised once per canteen,
kind and due date (the table's unique constraint), and a suspended canteen is not suspended again,
so the sweep may run any number of times a day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max

from zhucan.accounts.models import User
from zhucan.core import clock
from zhucan.filing.models import Agreement, Designation, Reminder, ReminderKind, Stage
from zhucan.filing.services import designation_suspend

AGREEMENT_AHEAD = timedelta(days=60)
RECHECK_AHEAD = timedelta(days=60)
LICENCE_AHEAD = timedelta(days=30)
# Stages whose canteen still holds (or may get back) its designation: reminders concern them.
WATCHED = (Stage.DESIGNATED, Stage.SUSPENDED)
SYSTEM_USERNAME = "system-filing-sweep"


@dataclass
class SweepReport:
    reminders: list[tuple[int, str, date]] = field(default_factory=list)  # (canteen id, kind, due)
    suspended: list[int] = field(default_factory=list)  # canteen ids

    def as_dict(self) -> dict:
        return {"reminders": [[c, k, d.isoformat()] for c, k, d in self.reminders], "suspended": self.suspended}


def system_actor() -> User:
    """The platform's own account for automatic decisions: it acts with every permission, cannot
    log in (no usable password), and is named in the audit log."""
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        user = User(username=SYSTEM_USERNAME, display_name="平台自动巡检", is_superuser=True)
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # another process created it meanwhile
            user = User.objects.get(username=SYSTEM_USERNAME)
    return user


def _remind(report: SweepReport, canteen_id: int, kind: str, due: date) -> None:
    _obj, created = Reminder.objects.get_or_create(canteen_id=canteen_id, kind=kind, due=due,
                                                   defaults={"raised_at": clock.now()})
    if created:
        report.reminders.append((canteen_id, kind, due))


def filing_sweep(*, today: date | None = None) -> SweepReport:
    """Raise the reminders that are due and suspend the canteens whose licence has lapsed."""
    today = today or clock.local_today()
    report = SweepReport()
    designations = list(Designation.objects.filter(stage__in=WATCHED).select_related("canteen"))
    ends = dict(Agreement.objects.filter(canteen_id__in=[d.canteen_id for d in designations])
                .values("canteen_id").annotate(end=Max("end_date")).values_list("canteen_id", "end"))
    for d in designations:
        with transaction.atomic():
            end = ends.get(d.canteen_id)
            if end is not None and today <= end <= today + AGREEMENT_AHEAD:
                _remind(report, d.canteen_id, ReminderKind.AGREEMENT_END, end)
            if d.stage == Stage.DESIGNATED and d.recheck_due is not None and d.recheck_due <= today + RECHECK_AHEAD:
                _remind(report, d.canteen_id, ReminderKind.RECHECK, d.recheck_due)
            expiry = d.licence_expiry
            if expiry is None:
                continue
            if today <= expiry <= today + LICENCE_AHEAD:
                _remind(report, d.canteen_id, ReminderKind.LICENCE_EXPIRY, expiry)
            elif expiry < today:
                # Valid through its expiry date: lapsed from the day after.
                _remind(report, d.canteen_id, ReminderKind.LICENCE_LAPSED, expiry + timedelta(days=1))
                if d.stage == Stage.DESIGNATED:
                    designation_suspend(actor=system_actor(), canteen=d.canteen, on=today,
                                        reason=f"食品经营许可证已于{expiry.isoformat()}到期，自动暂停定点")
                    report.suspended.append(d.canteen_id)
    return report
