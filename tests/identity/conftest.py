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
