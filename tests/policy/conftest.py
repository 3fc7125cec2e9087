"""Fixtures for the policy engine tests (no Django needed: run with ``-p no:django``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from zhucan.policy import Policy, load_policy

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = HERE / "fixtures"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# The example scenarios every engine must pass, shipped beside the policies (README's bench command).
SHARED_EXAMPLES = REPO / "policies" / "scenarios" / "examples.yaml"


def at(text: str) -> datetime:
    """A Shanghai-local aware datetime from ``"2025-06-02 11:30"``."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture(scope="session")
def hangzhou() -> Policy:
    return load_policy("hangzhou")


@pytest.fixture(scope="session")
def hangzhou_xihu() -> Policy:
    return load_policy("hangzhou", overlays=["xihu"])


@pytest.fixture(scope="session")
def liaocheng() -> Policy:
    return load_policy("liaocheng")


@pytest.fixture(scope="session")
def testcity() -> Policy:
    return load_policy(FIXTURES / "testcity.yaml")


@pytest.fixture(autouse=True)
def _fresh_checkout_context():
    """Override the repository-wide autouse fixture of the same name (tests/conftest.py), which
    touches Django: the policy engine tests must run without Django (``-p no:django``)."""
    yield
