"""Ratings are bound to meals in the ledger (issue #18 item 1): one per meal, only for a sale the
elder had and that was not reversed, within the rating window; precise refusals write nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.evaluation.conftest import FAMILY_PHONE, GOOD, at, h5_login, meal
from zhucan.checkout.services import meal_reverse
from zhucan.core.errors import DomainError
from zhucan.core.models import AuditLog
from zhucan.evaluation import selectors, services
from zhucan.evaluation.models import Rating


def _refused(code, call):
    before = (Rating.objects.count(), AuditLog.objects.filter(action="evaluation.rate").count())
    with pytest.raises(DomainError) as err:
        call()
    assert err.value.code == code, err.value
    assert (Rating.objects.count(), AuditLog.objects.filter(action="evaluation.rate").count()) == before
    return err.value


def test_a_family_member_rates_a_meal_once_and_it_counts_for_the_canteen(world, menu, phones, frozen_clock):
    lunch = meal(world, menu, "2025-06-02 11:30")
    frozen_clock(at("2025-06-03 09:00"))
    rating = services.rating_submit(account=phones.family_account, elder=world.elder, meal_id=lunch.pk,
                                    values={**GOOD, "phrases": ["偏咸", "饭菜可口"], "comment": "米饭有点硬"})
    assert (rating.meal_id, rating.canteen_id) == (lunch.pk, world.canteen.pk)
    assert rating.meal_date.isoformat() == "2025-06-02"
    assert rating.phrases == ["饭菜可口", "偏咸"]  # in the list's order
    row = AuditLog.objects.get(action="evaluation.rate")
    assert row.actor_id is None and row.actor_repr == "h5:139****2222"
    assert row.region_path == world.canteen.region.path
    # (5+4+5+4)/4 = 4.5 stars → 87.5 on 0–100
    assert selectors.satisfaction(world.canteen.pk, at("2025-06-01 0:00").date(), at("2025-06-30 0:00").date()) == (
        Decimal("87.5"), 1)
    assert selectors.satisfaction(world.other_canteen.pk, at("2025-06-01 0:00").date(),
                                  at("2025-06-30 0:00").date()) == (None, 0)
    err = _refused("RATING_ALREADY_RATED", lambda: services.rating_submit(
        account=phones.elder_account, elder=world.elder, meal_id=lunch.pk, values=GOOD))
    assert err.message_zh == "这顿饭已经评价过了（06月03日）"


def test_refusals_for_a_meal_not_theirs_reversed_too_old_and_bad_scores(world, menu, phones, frozen_clock):
    theirs = meal(world, menu, "2025-06-02 11:30")
    other = meal(world, menu, "2025-06-02 11:40", elder=world.other_elder)
    voided = meal(world, menu, "2025-06-02 17:30")
    meal_reverse(canteen=world.canteen, receipt_no=voided.receipt_no, kind="void", idempotency_key="v",
                 request_digest="v", at=at("2025-06-02 17:35"))
    old = meal(world, menu, "2025-05-20 11:30")
    frozen_clock(at("2025-06-03 09:00"))
    account = phones.elder_account

    def rate(meal_id, values=GOOD):
        return lambda: services.rating_submit(account=account, elder=world.elder, meal_id=meal_id, values=values)

    _refused("RATING_MEAL_NOT_FOUND", rate(other.pk))
    assert _refused("RATING_MEAL_REVERSED", rate(voided.pk)).message_zh == "这笔就餐已撤销，不能评价"
    assert _refused("RATING_TOO_OLD", rate(old.pk)).message_zh == "只能评价7天内的就餐，这顿饭是05月20日吃的"
    missing = _refused("RATING_SCORE_MISSING", rate(theirs.pk, {**GOOD, "hygiene": ""}))
    assert missing.message_zh == "请为“卫生”选择1到5颗星"
    _refused("RATING_SCORE_RANGE", rate(theirs.pk, {**GOOD, "taste": "6"}))
    _refused("RATING_PHRASE_UNKNOWN", rate(theirs.pk, {**GOOD, "phrases": ["难吃死了"]}))
    _refused("RATING_COMMENT_TOO_LONG", rate(theirs.pk, {**GOOD, "comment": "好" * 201}))
    # the reversal record itself is not a meal one can rate
    _refused("RATING_MEAL_NOT_FOUND", rate(voided.reversal.pk))


def test_staff_record_a_rating_only_for_an_elder_of_their_jurisdiction(world, menu, frozen_clock):
    from zhucan.core.errors import NotFound, PermissionDenied

    lunch = meal(world, menu, "2025-06-02 11:30")
    other_lunch = meal(world, menu, "2025-06-02 11:40", elder=world.other_elder, canteen=world.other_canteen)
    frozen_clock(at("2025-06-04 10:00"))
    staff = world.users["subdistrict_staff"]
    rating = services.rating_record(actor=staff, elder_id=world.elder.pk, meal_id=lunch.pk, values=GOOD)
    assert (rating.source, rating.recorded_by_id) == ("staff", staff.pk)
    with pytest.raises(NotFound):
        services.rating_record(actor=staff, elder_id=world.other_elder.pk, meal_id=other_lunch.pk, values=GOOD)
    with pytest.raises(PermissionDenied):
        services.rating_record(actor=world.users["canteen_manager"], elder_id=world.elder.pk, meal_id=lunch.pk,
                               values=GOOD)
    assert Rating.objects.count() == 1


def test_the_console_charts_satisfaction_month_by_month_with_gaps_for_months_without_ratings(
        world, menu, client, frozen_clock):
    import json

    from tests.conftest import login

    lunch = meal(world, menu, "2025-06-02 11:30")
    frozen_clock(at("2025-06-04 10:00"))
    services.rating_record(actor=world.users["subdistrict_staff"], elder_id=world.elder.pk, meal_id=lunch.pk,
                           values=GOOD)
    login(client, world.users["district_admin"])
    page = client.get("/evaluation/").content.decode()
    spec = json.loads(page.split('<script id="dash-charts" type="application/json">')[1].split("</script>")[0])
    trend = spec["trend"]
    assert (trend["kind"], trend["categories"][-1]) == ("line", "2025年6月")
    assert trend["series"] == [{"name": world.canteen.name, "data": [None] * 5 + ["87.5"]}]
    assert 'data-chart="trend"' in page and "echarts.min.js" in page


def test_the_phone_page_rates_lunch_and_shows_it_rated(world, menu, phones, client, frozen_clock):
    lunch = meal(world, menu, "2025-06-02 11:30")
    meal(world, menu, "2025-06-02 11:40", elder=world.other_elder, key="x")
    frozen_clock(at("2025-06-02 13:00"))
    h5_login(client, FAMILY_PHONE)
    page = client.get(f"/h5/e/{world.elder.pk}/meals/").content.decode()
    assert "评价这顿饭" in page and "北山长者食堂" in page
    response = client.post(f"/h5/e/{world.elder.pk}/meals/{lunch.pk}/rate/", {**GOOD, "taste": ""})
    assert response.status_code == 400 and "请为“口味”选择1到5颗星" in response.content.decode()
    response = client.post(f"/h5/e/{world.elder.pk}/meals/{lunch.pk}/rate/", {**GOOD, "phrases": ["分量足"]})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "谢谢您的评价" in page and "口味5星" in page and "分量足" in page
    assert client.get(f"/h5/e/{world.elder.pk}/meals/{lunch.pk}/rate/")["Location"].endswith(f"#meal-{lunch.pk}")
    # another elder's page and meal answer 404 like ids that do not exist
    assert client.get(f"/h5/e/{world.other_elder.pk}/meals/").status_code == 404
    other = world.other_elder.meals.get()
    assert client.post(f"/h5/e/{world.elder.pk}/meals/{other.pk}/rate/", GOOD).status_code == 404
    assert Rating.objects.count() == 1
