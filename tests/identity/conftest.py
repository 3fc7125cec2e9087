"""Helpers for the identity tests: a frozen moment, an elder with a live code, camera-like frames."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from zhucan.identity.samples import camera_frame  # noqa: F401  (the tests import it from here)

NOON = datetime(2025, 6, 2, 11, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def noon(frozen_clock):
    return frozen_clock(NOON)


@pytest.fixture
def staff(world):
    """Subdistrict staff of 北山街道 (西湖区), who may change world.elder."""
    return world.users["subdistrict_staff"]


@pytest.fixture
def world_in_savepoint(module_world, db, monkeypatch):
    """`world` built once per module (tests/conftest.py module_world), each test in a savepoint of it.
    The test's own elders take ID-number sequences from 10 on, clear of the world's 1 and 2 (the
    session-wide counter wraps at 500)."""
    import tests.conftest

    monkeypatch.setattr(tests.conftest, "_seq", iter(range(10, 10_000_000)))
    return module_world
