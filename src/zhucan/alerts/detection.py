"""The detection run: every enabled rule's detector over one local date, each finding raised as an
alert (idempotent on its dedupe key, so running a day twice adds nothing)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction

from zhucan.alerts import rules
from zhucan.alerts.models import DetectionRun
from zhucan.alerts.services import alert_raise
from zhucan.core import clock

log = logging.getLogger(__name__)


@dataclass
class DetectionResult:
    day: date
    raised: int = 0
    seen: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"day": self.day.isoformat(), "raised": self.raised, "seen": self.seen, "by_rule": self.by_rule,
                "errors": self.errors}


def detect(*, day: date | None = None, actor=None, only: list[str] | None = None) -> DetectionResult:
    """Run the detectors over `day` (default: yesterday, local date). A detector that fails is
    reported in the result and the others still run."""
    day = day or clock.local_today() - timedelta(days=1)
    result = DetectionResult(day=day)
    run = DetectionRun.objects.create(day=day, started_at=clock.now(),
                                      started_by=actor if getattr(actor, "pk", None) else None)
    for code, rule in sorted(rules.RULES.items()):
        if rule.detector is None or (only and code not in only) or not rules.enabled(code):
            continue
        params = rules.params_for(code)
        try:
            with transaction.atomic():
                findings = list(rule.detector(day, params))
        except Exception as exc:  # one broken rule must not stop the others
            log.exception("alert detector %s failed for %s", code, day)
            result.errors[code] = f"{type(exc).__name__}: {exc}"[:300]
            continue
        for finding in findings:
            before = _exists(finding.dedupe_key)
            alert_raise(rule=code, occurred_at=finding.occurred_at, title=finding.title, canteen=finding.canteen,
                        elder=finding.elder, details=finding.details, dedupe_key=finding.dedupe_key,
                        meal_ids=finding.meal_ids)
            if before:
                result.seen += 1
            else:
                result.raised += 1
                result.by_rule[code] = result.by_rule.get(code, 0) + 1
    DetectionRun.objects.filter(pk=run.pk).update(finished_at=clock.now(), raised=result.raised, seen=result.seen,
                                                  errors=result.errors)
    return result


def _exists(key: str) -> bool:
    from zhucan.alerts.models import Alert

    return Alert.objects.filter(dedupe_key=key).exists()
