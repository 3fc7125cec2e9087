"""The policy adapter: a canteen's city policy and the engine's facts, with the adapter's own errors."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import make_canteen
from zhucan.core.errors import DomainError
from zhucan.policy import Policy
from zhucan.rules import errors as rules_errors
from zhucan.rules.facts import canteen_facts, elder_facts, policy_for_canteen, policy_for_city


def test_a_canteen_gets_its_citys_policy_and_facts(world):
    policy = policy_for_canteen(world.canteen)
    assert isinstance(policy, Policy) and policy is policy_for_city("hangzhou")
    assert canteen_facts(world.canteen, date(2025, 6, 2)).district == "西湖区"
    facts = elder_facts(world.elder)
    assert facts.birth_date == world.elder.birth_date and facts.status == world.elder.status


def test_a_city_without_a_policy_is_the_adapters_503(world):
    canteen = make_canteen(world.lc_sub, "蒋官屯幸福食堂")
    with pytest.raises(DomainError) as err:
        policy_for_canteen(canteen)
    assert (err.value.code, err.value.http_status) == ("POLICY_UNAVAILABLE", 503)
    assert err.value.message_zh == "本市优惠政策未配置或无法加载"


def test_a_policy_that_cannot_be_loaded_is_the_same_error(world, settings, tmp_path):
    settings.ZHUCAN_POLICY_DIR = tmp_path
    with pytest.raises(DomainError) as err:
        policy_for_city("nowhere")
    assert err.value.code == "POLICY_UNAVAILABLE"


def test_the_error_belongs_to_the_adapter_not_to_checkout():
    from zhucan.checkout.errors import _MESSAGES as checkout_messages

    assert "POLICY_UNAVAILABLE" in rules_errors._MESSAGES and "POLICY_UNAVAILABLE" not in checkout_messages
