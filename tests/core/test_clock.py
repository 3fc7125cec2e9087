"""The platform's one clock: aware, Asia/Shanghai dates, optionally simulated for training."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from zhucan.core import clock


def test_local_date_uses_shanghai(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2025, 6, 1, 16, 30, tzinfo=UTC))  # 00:30 in Shanghai
    assert clock.local_today().isoformat() == "2025-06-02"


def test_naive_moment_is_refused():
    with pytest.raises(ValueError):
        clock.local_date(datetime(2025, 6, 2, 11, 0))


def test_simulated_clock_starts_at_the_configured_moment(settings, monkeypatch):
    settings.ZHUCAN_CLOCK_START = "2025-06-02T11:00:00+08:00"
    monkeypatch.setattr(clock, "_offset", None)
    moment = clock.now()
    start = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)
    assert start <= moment < start + timedelta(seconds=5)
    assert clock.local_now().hour == 11
    monkeypatch.setattr(clock, "_offset", None)


def test_production_refuses_a_simulated_clock(monkeypatch):
    import importlib
    import sys

    for name, value in {"ZHUCAN_SECRET_KEY": "x" * 40, "ZHUCAN_DATA_KEY": "A" * 43 + "=",
                        "ZHUCAN_INDEX_KEY": "A" * 43 + "=", "ZHUCAN_CLOCK_START": "2025-06-02T11:00:00+08:00"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ZHUCAN_ALLOW_SIMULATED_CLOCK", raising=False)
    sys.modules.pop("config.settings.production", None)
    with pytest.raises(ImproperlyConfigured):
        importlib.import_module("config.settings.production")
    sys.modules.pop("config.settings.production", None)
