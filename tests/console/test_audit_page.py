"""The audit log and an elder's change history as an official reads them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import login, make_elder

VISIBLE_CODE = re.compile(r"\b[a-z_]+\.[a-z_]+(?:\.[a-z_]+)?\b")


def _visible(html: str) -> str:
    """The page's table as read without opening the technical details."""
    body = html[html.index("<tbody>"):html.index("</tbody>")]
    return re.sub(r"<details.*?</details>", "", body, flags=re.S)


def _history(world, frozen_clock, menu):
    from zhucan.canteens.services import dish_save
    from zhucan.elders.services import ElderData, elder_update

    admin = world.users["district_admin"]
    admin.display_name = "王建国"
    admin.save()
    frozen_clock(datetime(2025, 6, 3, 2, 30, tzinfo=UTC))  # 10:30 in Hangzhou
    elder = make_elder(world.xihu_c1, name="陈秀兰", actor=admin)
    frozen_clock(datetime(2025, 6, 3, 16, 5, tzinfo=UTC))  # 00:05 on 4 June in Hangzhou
    number = elder.plain_id_number
    elder_update(actor=admin, elder_id=elder.pk,
                 data=ElderData(name="陈秀兰", id_number=number, community=world.xihu_c2))
    dish_save(actor=admin, canteen_id=world.canteen.pk, dish_id=menu["套餐"].pk,
              values={"price_fen": 1250, "active": False})
    return elder


def test_audit_log_reads_in_chinese_with_names_yuan_and_local_time(world, client, frozen_clock, menu):
    elder = _history(world, frozen_clock, menu)
    login(client, world.users["district_admin"])
    html = client.get("/audit/").content.decode()
    table = _visible(html)
    assert "新增老人档案" in table and "修改老人档案" in table and "修改菜品" in table
    assert "王建国" in table  # the actor by name, not username or id
    assert "陈*兰" in table and "陈秀兰" not in table  # the elder by masked name only
    assert "2025-06-03 10:30" in table and "2025-06-04 00:05" in table  # Asia/Shanghai
    assert "<strong>所属社区</strong>：保俶社区 → 西溪社区" in table
    assert "15.00 元 → 12.50 元" in table
    assert "是 → 否" in table
    assert not VISIBLE_CODE.findall(table), VISIBLE_CODE.findall(table)
    assert f'>{elder.pk}<' not in table
    # the technical details are still there, folded
    assert "<details" in html and "elder.create" in html
    assert "陈秀兰" not in html  # not even in the folded raw record


def test_filters_who_group_type_and_local_dates(world, client, frozen_clock, menu):
    _history(world, frozen_clock, menu)
    login(client, world.users["district_admin"])

    def actions(query):
        html = client.get("/audit/?" + query).content.decode()
        return re.findall(r"<td>(新增老人档案|修改老人档案|修改菜品)</td>", html)

    assert sorted(actions("group=canteens")) == ["修改菜品"]
    # the world's elder was registered too
    assert sorted(actions("type=elders.elder")) == ["修改老人档案", "新增老人档案", "新增老人档案"]
    # 4 June local starts at 16:00 UTC on 3 June: the 00:05 changes are on the 4th, the creation on the 3rd
    assert sorted(actions("from=2025-06-04&to=2025-06-04")) == ["修改老人档案", "修改菜品"]
    assert actions("to=2025-06-03") == ["新增老人档案"]
    assert sorted(actions("who=王建国")) == ["修改老人档案", "修改菜品", "新增老人档案"]
    assert actions("who=nobody-here") == []
    page = client.get("/audit/?from=2025-13-01").content.decode()
    assert "日期格式应为" in page


def test_names_are_resolved_in_bulk(world, client, frozen_clock, menu):
    _history(world, frozen_clock, menu)
    for i in range(6):
        make_elder(world.xihu_c1, name=f"测试{i}号", actor=world.users["district_admin"])
    login(client, world.users["district_admin"])
    with CaptureQueriesContext(connection) as few:
        client.get("/audit/")
    for i in range(6):
        make_elder(world.xihu_c1, name=f"再测{i}号", actor=world.users["district_admin"])
    with CaptureQueriesContext(connection) as more:
        client.get("/audit/")
    assert len(more) == len(few)  # six more rows, not one query more


def test_elder_history_on_the_elder_page_is_readable(world, client, frozen_clock, menu):
    elder = _history(world, frozen_clock, menu)
    login(client, world.users["district_admin"])
    html = client.get(f"/elders/{elder.pk}/").content.decode()
    history = html[html.index("变更记录"):]
    history = re.sub(r"<details.*?</details>", "", history, flags=re.S)
    assert "修改老人档案" in history and "王建国" in history and "2025-06-04 00:05" in history
    assert "elder.update" not in history and "community" not in history

