"""A platform process killed in the middle of a commit leaves either the whole meal or nothing.

A real child process commits a meal and is SIGKILLed after the meal, items, benefit lines and
usage are written but before the transaction commits; the database must show none of it, and the
next commit for the same elder must get the period's discount as if nothing had happened."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from tests.checkout.conftest import at
from tests.checkout.test_concurrency import world_tx  # noqa: F401  (fixture)
from tests.conftest import make_elder
from zhucan.checkout import services as S
from zhucan.checkout.models import BenefitLine, ElderDayUsage, Meal, MealItem
from zhucan.checkout.verification import ledger_verify

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import os, sys, time
    from datetime import datetime
    from zoneinfo import ZoneInfo
    import django
    django.setup()
    from zhucan.canteens.models import Canteen, Dish
    from zhucan.checkout import services as S
    from zhucan.elders.models import Elder

    real_write = S._write
    def write_then_hang(**kwargs):
        meal = real_write(**kwargs)
        print("WRITTEN", flush=True)   # everything is written, the transaction is still open
        time.sleep(60)
        return meal
    S._write = write_then_hang
    canteen = Canteen.objects.get(pk=int(sys.argv[1]))
    elder = Elder.objects.get(pk=int(sys.argv[2]))
    dish = Dish.objects.get(pk=int(sys.argv[3]))
    S.meal_commit(canteen=canteen, elder=elder, lines=[S.OrderLine(dish_id=dish.pk, quantity=1)],
                  idempotency_key="crash-1", request_digest="crash-1",
                  at=datetime(2025, 6, 2, 11, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
""")


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_killed_mid_commit_leaves_nothing(world_tx):  # noqa: F811
    from zhucan.canteens.models import Dish

    w = world_tx
    elder = make_elder(w.xihu_c1, birth=date(1944, 5, 1), name="断电老人")
    dish = Dish.objects.create(canteen=w.canteen, name="套餐", price_fen=1500)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": _database_url(),
           "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(w.canteen.pk), str(elder.pk), str(dish.pk)],
                             env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        line = ""
        while time.time() < deadline and "WRITTEN" not in line:
            line = child.stdout.readline()
            if not line and child.poll() is not None:
                raise AssertionError(child.stderr.read())
        assert "WRITTEN" in line
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert Meal.objects.count() == 0
    assert MealItem.objects.count() == 0 and BenefitLine.objects.count() == 0
    assert not ElderDayUsage.objects.filter(elder=elder, benefit_fen__gt=0).exists()
    # The platform carries on: the same elder still gets the lunch discount once, the chain is whole.
    meal = S.meal_commit(canteen=w.canteen, elder=elder, lines=[S.OrderLine(dish_id=dish.pk, quantity=1)],
                         idempotency_key="after-crash", request_digest="after-crash", at=at("2025-06-02 11:35")).meal
    assert meal.benefit_fen == 450 and meal.chain_seq == 1
    assert ledger_verify() == (1, [])
