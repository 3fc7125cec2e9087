"""The "most satisfying canteen" campaign (issue #18 item 5): weights that sum to 100, districts
nominate their own canteens, one identity-bound vote per elder, flags for accounts created during
the campaign and bursts from one family account (flagged votes left out and listed), and the
published score combining ratings, the published assessment and the vote."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.assessment.conftest import table  # noqa: F401 - the assessment's indicator table fixture
from tests.conftest import make_elder
from tests.evaluation.conftest import ELDER_PHONE, FAMILY_PHONE, GOOD, at, h5_login, meal
from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.models import AuditLog
from zhucan.evaluation import campaigns, services
from zhucan.evaluation.models import Campaign, Vote

VOTE_START, VOTE_END = at("2025-06-10 00:00"), at("2025-06-20 00:00")


@pytest.fixture
def in_may(frozen_clock):
    """Accounts made by later fixtures exist before the campaign opens."""
    return frozen_clock(at("2025-05-02 09:00"))


def _campaign(world, **weights):
    w = {"weight_ratings": 40, "weight_assessment": 30, "weight_votes": 30, **weights}
    return campaigns.campaign_create(actor=world.users["city_admin"], title="2025年度最满意老年食堂评选",
                                     period_start=date(2025, 6, 1), period_end=date(2025, 6, 30), assessment_year=2024,
                                     vote_start=VOTE_START, vote_end=VOTE_END, **w)


def test_weights_must_sum_to_100_and_only_the_city_opens_a_campaign(world, frozen_clock):
    frozen_clock(at("2025-06-01 09:00"))
    with pytest.raises(DomainError) as err:
        _campaign(world, weight_votes=40)
    assert err.value.message_zh == "三项权重之和须为100，现为110"
    with pytest.raises(PermissionDenied):
        campaigns.campaign_create(actor=world.users["district_admin"], title="x", period_start=date(2025, 6, 1),
                                  period_end=date(2025, 6, 30), assessment_year=2024, vote_start=VOTE_START,
                                  vote_end=VOTE_END, weight_ratings=40, weight_assessment=30, weight_votes=30)
    assert not Campaign.objects.exists() and not AuditLog.objects.filter(action__startswith="evaluation").exists()


def test_votes_limits_flags_and_the_published_score(world, menu, in_may, phones, frozen_clock, client):
    frozen_clock(at("2025-06-01 09:00"))
    campaign = _campaign(world)
    # The campaign's city is 杭州: 西湖区 nominates 北山, 上城区 湖滨; neither may nominate the other's.
    beishan = campaigns.nominee_add(actor=world.users["district_admin"], campaign_id=campaign.pk,
                                    canteen_id=world.canteen.pk, reason="老人评价高")
    hubin = campaigns.nominee_add(actor=world.other["district_admin"], campaign_id=campaign.pk,
                                  canteen_id=world.other_canteen.pk)
    with pytest.raises(NotFound):
        campaigns.nominee_add(actor=world.users["district_admin"], campaign_id=campaign.pk,
                              canteen_id=world.other_canteen.pk)
    with pytest.raises(NotFound):  # 聊城's city administrator does not see 杭州's campaign
        campaigns.campaign_get(user=world.other["city_admin"], campaign_id=campaign.pk)
    # Ratings in June: one meal at 北山 rated 5/4/5/4 → 87.5
    lunch = meal(world, menu, "2025-06-02 11:30")
    frozen_clock(at("2025-06-03 09:00"))
    services.rating_submit(account=phones.elder_account, elder=world.elder, meal_id=lunch.pk, values=GOOD)

    with pytest.raises(DomainError) as err:  # before the vote opens
        campaigns.vote_cast(account=phones.elder_account, elder=world.elder, campaign_id=campaign.pk,
                            nominee_id=beishan.pk)
    assert err.value.message_zh == "投票时间为06月10日至06月19日"

    frozen_clock(at("2025-06-11 10:00"))
    h5_login(client, ELDER_PHONE)
    page = client.get(f"/h5/e/{world.elder.pk}/vote/").content.decode()
    assert "北山长者食堂" in page and "湖滨长者食堂" in page
    assert client.post(f"/h5/e/{world.elder.pk}/vote/", {"campaign": campaign.pk, "nominee": beishan.pk}
                       ).status_code == 302
    # the family account cannot vote for the same elder again
    with pytest.raises(DomainError) as err:
        campaigns.vote_cast(account=phones.family_account, elder=world.elder, campaign_id=campaign.pk,
                            nominee_id=hubin.pk)
    assert err.value.code == "VOTE_ALREADY"
    assert "已投给：北山长者食堂" in client.get(f"/h5/e/{world.elder.pk}/vote/").content.decode()
    with pytest.raises(DomainError) as err:  # the list is frozen once anyone has voted
        campaigns.nominee_add(actor=world.users["district_admin"], campaign_id=campaign.pk,
                              canteen_id=world.canteen.pk)
    assert err.value.code == "CAMPAIGN_NOMINATION_CLOSED"

    # A family account created during the campaign, bound to three more elders, votes for all in a
    # minute: every one of its votes is flagged (new account, and a burst from the third).
    from zhucan.elderphone.services import account_set_password, binding_create

    staff = world.users["subdistrict_staff"]
    elders = [make_elder(world.xihu_c1, name=f"王{i}", birth=date(1940, 1, i + 1)) for i in range(3)]
    for e in elders:
        binding = binding_create(actor=staff, elder_id=e.pk, phone="13600001111", relation="child",
                                 display_name="王晓", notify=False).binding
    newcomer = account_set_password(account=binding.account, password="Laoren-2025")
    for i, e in enumerate(elders):
        frozen_clock(at(f"2025-06-11 10:0{i + 1}"))
        campaigns.vote_cast(account=newcomer, elder=e, campaign_id=campaign.pk, nominee_id=hubin.pk)
    flags = list(Vote.objects.filter(account=newcomer).order_by("cast_at").values_list("flags", flat=True))
    assert flags == [["new_account", "burst"], ["new_account", "burst"], ["new_account", "burst"]]
    # An older family account (created before the campaign), voting for two elders slowly: counted.
    second = make_elder(world.xihu_c1, name="张二", birth=date(1941, 2, 2))
    binding_create(actor=staff, elder_id=second.pk, phone=FAMILY_PHONE, relation="child", display_name="张晓东",
                   notify=False)
    frozen_clock(at("2025-06-12 10:00"))
    campaigns.vote_cast(account=phones.family_account, elder=second, campaign_id=campaign.pk, nominee_id=hubin.pk)
    assert Vote.objects.get(elder=second).flags == []
    assert campaigns.tallies(campaign=campaign) == {beishan.pk: (1, 0), hubin.pk: (1, 3)}

    with pytest.raises(DomainError) as err:
        campaigns.campaign_publish(actor=world.users["city_admin"], campaign_id=campaign.pk)
    assert err.value.code == "CAMPAIGN_NOT_ENDED"
    frozen_clock(VOTE_END + timedelta(hours=1))
    campaigns.campaign_publish(actor=world.users["city_admin"], campaign_id=campaign.pk)
    beishan.refresh_from_db()
    hubin.refresh_from_db()
    # 北山: 87.5 × 40% + no published assessment (0) + 1 of a top 1 votes (100) × 30% = 35 + 30 = 65.0
    assert (beishan.ratings_score, beishan.assessment_score, beishan.votes, beishan.total, beishan.rank) == (
        Decimal("87.5"), None, 1, Decimal("65.0"), 1)
    # 湖滨: no ratings, 1 counted vote (the 3 flagged ones left out) → 30.0
    assert (hubin.ratings_score, hubin.votes, hubin.total, hubin.rank) == (None, 1, Decimal("30.0"), 2)
    page = client.get(f"/public/campaigns/{campaign.pk}/").content.decode()
    assert "1. 北山长者食堂" in page and "老年人评价满意度×40%" in page
    with pytest.raises(DomainError):
        campaigns.campaign_publish(actor=world.users["city_admin"], campaign_id=campaign.pk)


def test_the_published_assessment_counts(world, menu, table, frozen_clock):  # noqa: F811
    """The yearly assessment, published through the assessment app's own services, is the campaign's
    assessment part (read with assessment.selectors.published_result)."""
    from tests.assessment.conftest import commit_meals, local, score_manual
    from zhucan.assessment import services as assessment

    frozen_clock(local(2026, 1, 10))
    commit_meals(world, menu, 2)
    district = world.users["district_admin"]
    a = assessment.assessment_open(actor=district, table_id=table.pk, canteen_id=world.canteen.pk)
    score_manual(world, a, 老年人满意度="8", 持证上岗="20")
    assessment.assessment_confirm(actor=district, assessment_id=a.pk)
    frozen_clock(local(2026, 1, 20))
    assessment.assessment_publish(actor=district, assessment_id=a.pk)
    a.refresh_from_db()

    frozen_clock(local(2026, 2, 1))
    campaign = campaigns.campaign_create(
        actor=world.users["city_admin"], title="2026年最满意老年食堂评选", period_start=date(2026, 1, 1),
        period_end=date(2026, 2, 28), assessment_year=2025, vote_start=local(2026, 3, 1), vote_end=local(2026, 3, 10),
        weight_ratings=0, weight_assessment=100, weight_votes=0)
    nominee = campaigns.nominee_add(actor=district, campaign_id=campaign.pk, canteen_id=world.canteen.pk)
    frozen_clock(local(2026, 3, 11))
    campaigns.campaign_publish(actor=world.users["city_admin"], campaign_id=campaign.pk)
    nominee.refresh_from_db()
    assert a.total > 0 and (nominee.assessment_score, nominee.total) == (a.total, a.total)


def test_the_city_opens_a_campaign_on_the_console_with_a_precise_refusal(world, client, frozen_clock):
    from tests.conftest import login

    frozen_clock(at("2025-06-01 09:00"))
    login(client, world.users["city_admin"])
    form = {"title": "2025年度最满意老年食堂评选", "period_start": "2025-01-01", "period_end": "2025-06-30",
            "assessment_year": "2024", "vote_start": "2025-07-01", "vote_end": "2025-07-15",
            "weight_ratings": "50", "weight_assessment": "30", "weight_votes": "30"}
    response = client.post("/evaluation/campaigns/", form)
    assert response.status_code == 200 and "三项权重之和须为100，现为110" in response.content.decode()
    assert not Campaign.objects.exists()
    response = client.post("/evaluation/campaigns/", {**form, "weight_ratings": "40"})
    campaign = Campaign.objects.get()
    assert response["Location"] == f"/evaluation/campaigns/{campaign.pk}/"
    assert (campaign.vote_start, campaign.vote_end.date()) == (at("2025-07-01 00:00"), date(2025, 7, 15))
    login(client, world.users["district_admin"])
    assert client.post("/evaluation/campaigns/", form).status_code == 403
