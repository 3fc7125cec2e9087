"""The examples in docs/ run against a live server, with real time, and their meals reach the ledger."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from zhucan.api import signing
from zhucan.api.errors import API_ERRORS
from zhucan.checkout.errors import _MESSAGES as CHECKOUT_ERRORS
from zhucan.identity.errors import API_CODES as IDENTITY_ERRORS
from zhucan.rules.errors import _MESSAGES as RULES_ERRORS

from .conftest import CARD

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"


def _load_example():
    spec = importlib.util.spec_from_file_location("vendor_client", EXAMPLES / "vendor_client.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_signs_like_the_platform():
    example = _load_example()
    args = ("s3cret", "POST", "/api/v1/meals/commit", 1748835000, "0123456789abcdef", '{"a":"张"}'.encode())
    assert example.sign(*args) == signing.sign(*args)


def test_guide_documents_every_error_code():
    guide = (ROOT / "docs" / "integration.md").read_text(encoding="utf-8")
    for code in [*API_ERRORS, *CHECKOUT_ERRORS, *IDENTITY_ERRORS, *RULES_ERRORS]:
        assert f"`{code}`" in guide, code
    assert "METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nSHA256_HEX(BODY)" in guide


@pytest.fixture
def all_day(transactional_db, world):
    """Real time in this test: the canteen serves 'lunch' all day so the examples pass at any hour."""
    from tests.conftest import _system_user
    from zhucan.canteens.services import canteen_set_periods

    canteen_set_periods(actor=_system_user(), canteen_id=world.canteen.pk,
                        periods=[("lunch", time(0, 0), time(23, 59))])
    return world


def _run(command, env):
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    match = re.search(r"^receipt_no: (C\d{5}-\d{8})$", done.stdout, re.M)
    assert match, done.stdout
    return match.group(1)


@pytest.mark.parametrize("example", ["python", "shell"])
def test_examples_check_out_against_a_live_server(live_server, all_day, example):
    from tests.conftest import bind_card
    from zhucan.api.services import terminal_register
    from zhucan.canteens.models import Dish
    from zhucan.checkout.models import Meal

    world = all_day
    bind_card(world.elder, CARD)
    dish = Dish.objects.create(canteen=world.canteen, name="套餐", price_fen=1500)
    registered = terminal_register(actor=None, canteen=world.canteen, name="示例终端", vendor="docs")
    env = {"ZHUCAN_BASE_URL": live_server.url, "ZHUCAN_KEY_ID": registered.terminal.key_id,
           "ZHUCAN_SECRET": registered.secret, "ZHUCAN_CANTEEN_ID": str(world.canteen.pk),
           "ZHUCAN_DISH_ID": str(dish.pk), "ZHUCAN_CARD": CARD}
    if example == "python":
        receipt = _run([sys.executable, str(EXAMPLES / "vendor_client.py")], env)
    else:
        receipt = _run(["bash", str(EXAMPLES / "checkout.sh")], env)
    meal = Meal.objects.get(receipt_no=receipt)
    assert meal.canteen == world.canteen and meal.elder_id == world.elder.pk
    assert meal.terminal == registered.terminal and meal.identified_by == "card"
    assert meal.gross_fen == 1500 and meal.kind == "sale"
    assert Meal.objects.count() == 1  # the Python example's retry was a replay, not a second meal
