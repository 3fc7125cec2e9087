"""What the policy files call their rules, for the screens: rule id → Chinese name."""

from __future__ import annotations

from datetime import date

from zhucan.canteens.models import Canteen
from zhucan.core.errors import DomainError
from zhucan.policy import PolicyError
from zhucan.rules.facts import policy_for_canteen


def rule_names(canteen: Canteen, on: date | None = None) -> dict[str, str]:
    """Rule id → `name_zh` from the canteen's city policy (every version, and the district overlays in
    force on `on`); empty when the policy cannot be loaded. Screens show these names, never the ids."""
    names: dict[str, str] = {}
    try:
        policy = policy_for_canteen(canteen)
        versions = list(policy.versions)
        if on is not None:
            try:
                versions.append(policy.version_on(on))
            except PolicyError:
                pass
    except (DomainError, PolicyError):
        return names
    for version in versions:
        for layer in version.layers:
            for rule in layer.rules:
                names.setdefault(rule.id, rule.name_zh)
    return names
