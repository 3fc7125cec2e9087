"""Zhucan policy engine: each city's meal-assistance rules as data, every benefit exact to the fen.

Pure Python — no Django import — so the platform, offline terminals and policy officers' scenario
tests all run the same code. Public API::

    policy = load_policy("hangzhou", overlays=["xihu"])
    quote = evaluate(policy, elder, canteen, at, amount_fen=3000, usage=day_usage)
    quote.benefit_fen, quote.payable_fen, quote.lines, quote.usage_delta, quote.explanation_zh

Requirements: HZ-1..HZ-7, LC-3..LC-5, LC-8 (see docs/policy.md).
"""

from __future__ import annotations

from .engine import (
    DELIVERY_LAYER,
    REASON_CODES,
    BenefitLine,
    DeliveryTerms,
    LayerOutcome,
    Quote,
    age_on,
    delivery_terms,
    evaluate,
    evaluate_day,
)
from .errors import InputError, NoVersionInForce, PolicyError, PolicyLoadError, PolicyNotFound
from .facts import AnnouncedPeriod, CanteenFacts, ElderFacts, PricedItem
from .loader import attach_overlay, available, load_policy, load_reform, resolve_policy_dir
from .model import FundLine, Layer, MealPeriod, Policy, Version
from .money import apply_rate, format_fen, parse_rate, parse_yuan
from .usage import DayUsage, LayerUsage

__all__ = [
    "DELIVERY_LAYER",
    "REASON_CODES",
    "AnnouncedPeriod",
    "BenefitLine",
    "CanteenFacts",
    "DayUsage",
    "DeliveryTerms",
    "ElderFacts",
    "FundLine",
    "InputError",
    "Layer",
    "LayerOutcome",
    "LayerUsage",
    "MealPeriod",
    "NoVersionInForce",
    "Policy",
    "PolicyError",
    "PolicyLoadError",
    "PolicyNotFound",
    "PricedItem",
    "Quote",
    "Version",
    "age_on",
    "apply_rate",
    "attach_overlay",
    "available",
    "delivery_terms",
    "evaluate",
    "evaluate_day",
    "format_fen",
    "load_policy",
    "load_reform",
    "parse_rate",
    "parse_yuan",
    "resolve_policy_dir",
]
