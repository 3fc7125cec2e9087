from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_elder

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """'2025-06-02 11:30' in Asia/Shanghai."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SH)


@pytest.fixture
def elder92(world):
    """92 years old in June 2025: 5折 in Hangzhou (HZ-2)."""
    return make_elder(world.xihu_c1, birth=date(1933, 1, 1), name="王九二")
