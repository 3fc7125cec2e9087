"""No requirement ids (HZ-…, LC-…), rule codes (hz.city.discount) or notes about unbuilt features
on the console pages, for every role, in a small world with a meal, a statement and audit rows."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.conftest import bind_card, login

CODES = re.compile(r"(?:HZ|LC)-[A-Z]?\d+|(?<![A-Za-z0-9_])(?:hz|lc)\.[a-z_]+(?:\.[a-z_]+)*|上线前")
PAGES = ["/", "/workbench/", "/audit/", "/elders/", "/elders/{elder}/", "/canteens/", "/canteens/{canteen}/",
         "/checkout/cashier/", "/checkout/live/", "/settlement/", "/settlement/{statement}/", "/settlement/report/",
         "/funds/", "/funds/subsidies/", "/funds/targets/", "/funds/evaluations/", "/funds/rewards/",
         "/filing/", "/filing/register/", "/filing/mine/", "/regions/", "/accounts/users/",
         "/dashboard/", "/alerts/", "/alerts/rules/", "/evaluation/", "/evaluation/assessments/", "/inspections/",
         "/video/", "/video/devices/"]


def _visible(html: str) -> str:
    html = re.sub(r"<details class=\"technical\">.*?</details>", "", html, flags=re.S)
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def scene(world, menu, frozen_clock):
    from zhucan.checkout.services import OrderLine, meal_commit
    from zhucan.settlement.services import statement_generate

    frozen_clock(datetime(2025, 6, 10, 3, 30, tzinfo=UTC))  # 11:30 in Hangzhou, lunch
    bind_card(world.elder, "330100200012345678")
    meal_commit(canteen=world.canteen, elder=world.elder, lines=[OrderLine(dish_id=menu["套餐"].pk, quantity=1)],
                idempotency_key="k1", request_digest="k1", identified_by="card")
    frozen_clock(datetime(2025, 7, 2, 2, 0, tzinfo=UTC))
    statement = statement_generate(actor=world.users["district_admin"], month=datetime(2025, 6, 1).date())[0]
    return {"elder": world.elder.pk, "canteen": world.canteen.pk, "statement": statement.pk}


@pytest.mark.parametrize("role", ["city_admin", "district_admin", "subdistrict_staff", "canteen_manager", "cashier",
                                  "auditor"])
def test_no_requirement_ids_or_rule_codes_on_any_console_page(world, scene, client, role):
    login(client, world.users[role])
    seen = 0
    for page in PAGES:
        response = client.get(page.format(**scene), follow=True)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        seen += 1
        found = CODES.findall(_visible(response.content.decode()))
        assert not found, (role, page, found)
    assert seen >= 4


def test_the_statement_names_its_rules_from_the_policy_file(world, scene, client):
    login(client, world.users["district_admin"])
    html = client.get(f"/settlement/{scene['statement']}/").content.decode()
    assert "按年龄段折扣" in html and "hz.city.discount" not in html
