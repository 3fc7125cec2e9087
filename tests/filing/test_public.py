"""The public directory of designated canteens: no login, only canteens designated today, search,
near me, the canteen's page, open data, and the cache following every change."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

HIDDEN = ["西溪遴选食堂", "西溪待审食堂", "西溪暂停食堂", "西溪撤销食堂", "西溪未备案食堂"]


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_directory_lists_only_designated_canteens_without_login(public_world, client):
    page = _text(client.get("/public/canteens/?city=330100"))
    assert "北山长者食堂" in page and "湖滨长者食堂" in page
    for name in HIDDEN:
        assert name not in page
    assert "蒋官屯幸福食堂" not in page  # another city
    # grouped by district, then subdistrict
    assert page.index("上城区") < page.index("湖滨街道") < page.index("西湖区") < page.index("北山街道")


def test_several_cities_get_a_chooser(public_world, client):
    page = _text(client.get("/public/canteens/"))
    assert "请选择您所在的城市" in page and "?city=330100" in page and "?city=371500" in page
    assert "蒋官屯幸福食堂" in _text(client.get("/public/canteens/?city=371500"))


def test_suspension_takes_the_canteen_off_at_once_and_reinstatement_brings_it_back(public_world, client):
    from zhucan.filing.services import designation_reinstate, designation_suspend

    admin = public_world.users["district_admin"]
    url = f"/public/canteens/{public_world.canteen.pk}/"
    assert "北山长者食堂" in _text(client.get("/public/canteens/?city=330100"))  # now cached
    assert client.get(url).status_code == 200
    designation_suspend(actor=admin, canteen=public_world.canteen, reason="食品安全检查未通过")
    assert "北山长者食堂" not in _text(client.get("/public/canteens/?city=330100"))
    assert client.get(url).status_code == 404
    designation_reinstate(actor=admin, canteen=public_world.canteen, reason="整改合格")
    assert "北山长者食堂" in _text(client.get("/public/canteens/?city=330100"))
    assert client.get(url).status_code == 200


def test_search_by_name_or_address(public_world, client):
    page = _text(client.get("/public/canteens/?city=330100&q=北山"))
    assert "北山长者食堂" in page and "湖滨长者食堂" not in page
    page = _text(client.get("/public/canteens/?city=330100&q=湖滨路"))
    assert "湖滨长者食堂" in page and "北山长者食堂" not in page
    assert "没有找到符合条件的助餐点" in _text(client.get("/public/canteens/?city=330100&q=不存在的地方"))


def test_near_me_orders_by_distance(public_world, client):
    # At 湖滨 (next to 湖滨长者食堂), then at 北山路 (next to 北山长者食堂).
    page = _text(client.get("/public/canteens/?city=330100&lat=30.2595&lon=120.1647"))
    assert page.index("湖滨长者食堂") < page.index("北山长者食堂")
    assert "按离您的距离排列" in page and "米" in page
    page = _text(client.get("/public/canteens/?city=330100&lat=30.2639&lon=120.1444"))
    assert page.index("北山长者食堂") < page.index("湖滨长者食堂")
    assert "2.0 公里" in page  # 北山路 → 湖滨, about two kilometres
    # A position that is not one is ignored, not an error.
    assert "按离您的距离排列" not in _text(client.get("/public/canteens/?city=330100&lat=abc&lon=999"))


def test_canteen_page_shows_what_a_citizen_needs(public_world, client):
    response = client.get(f"/public/canteens/{public_world.canteen.pk}/")
    page = _text(response)
    for shown in ["社区新建型", "西湖区北山路12号", "0571-88001234", "午餐 10:30–12:30", "老年套餐", "15.00 元",
                  "8折", "每日最高优惠20.00元", "年满60周岁", "食材新鲜、明码标价", "面向辖区老年人提供助餐服务",
                  "惠老优先窗口", "爱心餐桌 2 张", "保俶社区、西溪社区", "西湖〔2026〕第001号", "定点",
                  "2026-12-07 至 2029-12-06"]:
        assert shown in re.sub(r"<[^>]+>", "", page), shown
    assert "停售的菜" not in page
    assert "hz.city" not in page and "〔HZ" not in page  # no rule codes or clause references on screen
    assert len(response.content) < 100 * 1024
    assert "public" in response["Cache-Control"]


def test_liaocheng_canteen_page_explains_its_subsidy(public_world, client):
    page = _text(client.get(f"/public/canteens/{public_world.lc_canteen.pk}/"))
    assert "每餐1.00元" in page and "每日限1餐" in page and "购买居家养老服务" in page


def test_a_district_overlay_shows_only_at_that_district_s_canteens(public_world, client, settings):
    settings.ZHUCAN_POLICY_OVERLAYS = {"hangzhou": ["xihu"]}
    assert "西湖区80周岁以上户籍老人区级补贴" in _text(client.get(f"/public/canteens/{public_world.canteen.pk}/"))
    other = _text(client.get(f"/public/canteens/{public_world.other_canteen.pk}/"))
    assert "西湖区80周岁以上户籍老人区级补贴" not in other and "8折" in other


def test_pages_stay_small_with_a_big_city(public_world, client):
    from tests.conftest import make_canteen
    from tests.filing.conftest import designate

    for n in range(60):
        canteen = make_canteen(public_world.xihu_c1, f"北山第{n}助餐点",
                               address=f"西湖区北山路{n}号附近的一条小巷子里")
        designate(canteen, district_admin=public_world.users["district_admin"])
    response = client.get("/public/canteens/?city=330100")
    assert response.content.decode().count('class="canteen"') == 62
    assert len(response.content) < 100 * 1024


def test_a_repeated_request_is_served_from_the_cache(public_world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/public/canteens/{public_world.canteen.pk}/"
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    with CaptureQueriesContext(connection) as second:
        page = _text(client.get(url))
    assert "老年套餐" in page

    def built(ctx):  # the build reads each round's items; the cache key only counts rows
        return [q["sql"] for q in ctx.captured_queries if "filing_filingitem" in q["sql"]]

    assert built(first) and not built(second)
    assert len(second.captured_queries) < len(first.captured_queries)


def test_canteen_page_not_found_unless_designated(public_world, client):
    for canteen in [public_world.selected, public_world.submitted, public_world.suspended, public_world.revoked,
                    public_world.plain]:
        assert client.get(f"/public/canteens/{canteen.pk}/").status_code == 404
    assert client.get("/public/canteens/999999/").status_code == 404


def test_menu_change_shows_at_once(public_world, client):
    from tests.conftest import _system_user
    from zhucan.canteens.models import Dish
    from zhucan.canteens.services import dish_save

    url = f"/public/canteens/{public_world.canteen.pk}/"
    assert "15.00 元" in _text(client.get(url))
    dish = Dish.objects.get(canteen=public_world.canteen, name="老年套餐")
    dish_save(actor=_system_user(), canteen_id=public_world.canteen.pk, dish_id=dish.pk,
              values={"name": "老年套餐", "category": "套餐", "price_fen": 1650, "active": True, "sort_order": 0})
    page = _text(client.get(url))
    assert "16.50 元" in page and "15.00 元" not in page


def test_designation_from_a_later_day_is_not_yet_public(public_world, client):
    from tests.conftest import make_canteen, make_user
    from tests.filing.lifecycle_helpers import review_all, to_submitted
    from zhucan.filing.services import filing_decide

    admin = public_world.users["district_admin"]
    canteen = make_canteen(public_world.xihu_c1, "北山明年食堂")
    manager = make_user("mgr-later", "canteen_manager", canteen=canteen)
    filing = to_submitted(admin, manager, canteen, number="协议-明年")
    review_all(admin, filing)
    filing_decide(actor=admin, filing=filing, on=date(2027, 1, 1))
    assert "北山明年食堂" not in _text(client.get("/public/canteens/?city=330100"))


def test_english_on_request(public_world, client):
    page = _text(client.get(f"/public/canteens/{public_world.canteen.pk}/?lang=en"))
    assert "Today's menu" in page and "Filing number" in page and "Designated" in page
    assert "今日菜单" in _text(client.get(f"/public/canteens/{public_world.canteen.pk}/"))


def test_open_data_json(public_world, client):
    response = client.get("/public/canteens.json?city=330100")
    data = json.loads(response.content)["canteens"]
    assert {c["name"] for c in data} == {"北山长者食堂", "湖滨长者食堂"}
    beishan = next(c for c in data if c["name"] == "北山长者食堂")
    assert beishan["filing_number"] == "西湖〔2026〕第001号"
    assert beishan["menu"] == [{"name": "老年套餐", "category": "套餐", "price": "15.00"}]
    assert beishan["latitude"] == "30.263800" and beishan["longitude"] == "120.144500"
    assert beishan["delivery_coverage"] == ["保俶社区", "西溪社区"]
    assert beishan["agreement_end"] == "2029-12-06" and beishan["designated_on"] == "2026-12-07"
    assert beishan["url"] == f"http://testserver/public/canteens/{public_world.canteen.pk}/"
    assert "policy_id" not in beishan and "region_path" not in beishan
    everyone = json.loads(client.get("/public/canteens.json").content)["canteens"]
    assert {c["name"] for c in everyone} == {"北山长者食堂", "湖滨长者食堂", "蒋官屯幸福食堂"}
    assert client.get("/public/canteens.json?city=999999").status_code == 404


def test_open_data_csv_for_excel(public_world, client):
    response = client.get("/public/canteens.csv?city=330100")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["名称"] for r in rows} == {"北山长者食堂", "湖滨长者食堂"}
    beishan = next(r for r in rows if r["名称"] == "北山长者食堂")
    assert beishan["备案编号"] == "西湖〔2026〕第001号"
    assert beishan["今日菜单"] == "老年套餐 15.00元"
    assert beishan["惠老优先窗口"] == "是" and beishan["送餐覆盖社区"] == "保俶社区、西溪社区"
    assert "午餐 10:30–12:30" in beishan["供餐时间"] and "8折" in beishan["老年人优惠"]


def test_public_pages_refuse_writes(public_world, client):
    assert client.post("/public/canteens/?city=330100").status_code == 405
