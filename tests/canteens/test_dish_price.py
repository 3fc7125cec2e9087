"""A dish's price typed in the console: exact fen, and a precise Chinese refusal for the rest."""

import pytest

from tests.conftest import login
from zhucan.canteens.models import Dish


def _post(client, world, price):
    return client.post(f"/canteens/{world.canteen.pk}/dishes/new/",
                       {"name": "清蒸鱼", "category": "荤菜", "price": price, "active": "on", "sort_order": "0"})


@pytest.mark.parametrize(("price", "fen"), [("12.3", 1230), ("1,234.50", 123450), (" 8 ", 800)])
def test_price_is_kept_exactly(client, world, price, fen):
    login(client, world.users["canteen_manager"])
    assert _post(client, world, price).status_code == 302
    assert Dish.objects.get(canteen=world.canteen, name="清蒸鱼").price_fen == fen


@pytest.mark.parametrize(
    ("price", "message"),
    [("12.345", "金额最多两位小数"), ("-1", "金额不能为负数"), ("Infinity", "金额应为数字"), ("NaN", "金额应为数字"),
     ("1,00", "千位分隔符位置不对"), ("100000.01", "金额超出允许范围")],
)
def test_bad_price_is_refused_precisely_and_nothing_is_written(client, world, price, message):
    login(client, world.users["canteen_manager"])
    response = _post(client, world, price)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Dish.objects.filter(name="清蒸鱼").exists()


def test_edit_form_shows_the_price_in_yuan(client, world, menu):
    login(client, world.users["canteen_manager"])
    page = client.get(f"/canteens/{world.canteen.pk}/dishes/{menu['套餐'].pk}/edit/").content.decode()
    assert 'value="15.00"' in page
