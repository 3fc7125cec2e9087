"""Canteen coordinates for "near me": set in the canteen form by the district, both or neither,
inside the globe; a bad pair is refused with a precise message and nothing saved."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def world(module_world, db):
    """The world built once for this module (tests/filing/conftest.py: module_world); each test's
    writes roll back with its savepoint, and its objects are read afresh, never refreshed in place."""
    return module_world


def _saved(canteen):
    from zhucan.canteens.models import Canteen

    return Canteen.objects.get(pk=canteen.pk)


def _form(w, **changes):
    c = w.canteen
    data = {"name": c.name, "operator": c.operator, "credit_code": "", "food_licence": "",
            "canteen_type": c.canteen_type, "area": c.area, "region": c.region_id, "address": c.address,
            "phone": "", "seats": c.seats, "floor_area_m2": str(c.floor_area_m2), "opening_date": "",
            "status": c.status, "public_info": "", "service_promises": ""}
    data.update(changes)
    return data


def test_district_sets_coordinates_in_the_canteen_form(world, client):
    client.login(username="xihu_admin", password=PASSWORD)
    response = client.post(f"/canteens/{world.canteen.pk}/edit/",
                           _form(world, latitude="30.263800", longitude="120.144500"))
    assert response.status_code == 302, response.content.decode()[-2000:]
    saved = _saved(world.canteen)
    assert (saved.latitude, saved.longitude) == (Decimal("30.263800"), Decimal("120.144500"))


@pytest.mark.parametrize(("lat", "lon", "message"), [
    ("30.26", "", "经度和纬度须同时填写"),
    ("95", "120.1", "纬度须在 -90 到 90 之间"),
    ("30.2", "-181", "经度须在 -180 到 180 之间"),
])
def test_bad_coordinates_are_refused(world, client, lat, lon, message):
    client.login(username="xihu_admin", password=PASSWORD)
    response = client.post(f"/canteens/{world.canteen.pk}/edit/", _form(world, latitude=lat, longitude=lon))
    assert response.status_code == 200
    assert message in response.content.decode()
    saved = _saved(world.canteen)
    assert saved.latitude is None and saved.longitude is None


def test_canteen_manager_cannot_move_the_canteen(world, client):
    from zhucan.canteens.services import canteen_update
    from zhucan.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        canteen_update(actor=world.users["canteen_manager"], canteen_id=world.canteen.pk,
                       values={"latitude": Decimal("30.1"), "longitude": Decimal("120.1")})
    assert _saved(world.canteen).latitude is None


def test_demo_canteens_have_coordinates_in_their_city():
    from zhucan.demo.seed import CANTEENS, DEMO_COORDINATES

    for spec in CANTEENS:
        lat, lon = DEMO_COORDINATES[spec.region_code]
        if spec.region_code.startswith("3301"):  # 杭州
            assert Decimal("29.8") < lat < Decimal("30.6") and Decimal("119.8") < lon < Decimal("120.6")
        else:  # 聊城
            assert Decimal("36.2") < lat < Decimal("36.7") and Decimal("115.7") < lon < Decimal("116.3")


def test_console_canteen_page_links_a_designated_canteen_to_its_public_page_and_sign(public_world, client):
    client.login(username="xihu_admin", password=PASSWORD)
    page = client.get(f"/canteens/{public_world.canteen.pk}/").content.decode()
    assert f"/public/canteens/{public_world.canteen.pk}/sign.pdf?size=A4" in page
    assert "30.263800, 120.144500" in page
    page = client.get(f"/canteens/{public_world.plain.pk}/").content.decode()
    assert "sign.pdf" not in page
