"""The alert rules: code registered by apps (`register_rule` from an `AppConfig.ready()`), thresholds
stored as data per rule code (`RuleSetting`) and tuned by the city in the console."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class Finding:
    """What a detector reports; the daily run turns each into an alert (idempotent on dedupe_key).
    `details` maps Chinese labels to shown values (names, local times, yuan already formatted)."""

    dedupe_key: str
    title: str
    occurred_at: datetime
    canteen: object | None = None  # Canteen or id
    elder: object | None = None  # Elder or id
    details: dict = field(default_factory=dict)
    meal_ids: list[int] = field(default_factory=list)


Detector = Callable[[date, dict], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str
    title_zh: str
    title_en: str
    defaults: dict[str, int | str]
    detector: Detector | None = None
    params_help_zh: dict[str, str] = field(default_factory=dict)


RULES: dict[str, Rule] = {}


def register_rule(code: str, *, title_zh: str, title_en: str, defaults: dict[str, int | str],
                  detector: Detector | None = None, params_help_zh: dict[str, str] | None = None) -> None:
    """Declare a rule (idempotent: a second registration of the same code replaces the first)."""
    RULES[code] = Rule(code=code, title_zh=title_zh, title_en=title_en, defaults=dict(defaults),
                       detector=detector, params_help_zh=dict(params_help_zh or {}))


def get_rule(code: str) -> Rule | None:
    return RULES.get(code)


def rule_title(code: str) -> str:
    rule = RULES.get(code)
    return rule.title_zh if rule else "其他预警"


def params_for(code: str) -> dict[str, int | str]:
    """The rule's thresholds now: its defaults overlaid with the city's stored values."""
    from zhucan.alerts.models import RuleSetting

    rule = RULES[code]
    stored = RuleSetting.objects.filter(code=code).values_list("params", flat=True).first() or {}
    return {key: stored.get(key, default) for key, default in rule.defaults.items()}


def enabled(code: str) -> bool:
    from zhucan.alerts.models import RuleSetting

    value = RuleSetting.objects.filter(code=code).values_list("enabled", flat=True).first()
    return True if value is None else bool(value)
