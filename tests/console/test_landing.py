"""Each role lands on the page it uses most, after login and at `/`."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, login

EXPECTED = {"cashier": "/checkout/cashier/"}  # every other role: the dashboard of its jurisdiction


@pytest.mark.parametrize("role", ["city_admin", "district_admin", "subdistrict_staff", "canteen_manager", "cashier",
                                  "auditor"])
def test_after_login_each_role_lands_on_its_page(world, client, role):
    user = world.users[role]
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    landed = response.redirect_chain[-1][0]
    assert landed == EXPECTED.get(role, "/dashboard/")
    html = response.content.decode()
    assert ("收银台" if role == "cashier" else "数据看板") in html


@pytest.mark.urls("tests.console.urls_full_nav")
@pytest.mark.parametrize(("role", "where"), [("city_admin", "/dashboard/"), ("district_admin", "/dashboard/"),
                                             ("subdistrict_staff", "/dashboard/"), ("auditor", "/dashboard/"),
                                             ("canteen_manager", "/dashboard/"), ("cashier", "/checkout/cashier/")])
def test_officials_land_on_the_dashboard_once_it_exists(world, client, role, where):
    login(client, world.users[role])
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == where


def test_the_workbench_stays_reachable(world, client):
    login(client, world.users["cashier"])
    assert client.get("/workbench/").status_code == 200
