"""The city's "most satisfying elderly canteen" campaign (最满意老年食堂, issue #18 item 5): the city
opens it (rating period, assessment year, vote window, weights summing to 100), districts nominate
their canteens, elders vote on the phone page — one vote per elder, by the elder's own account or a
bound family account — and the city publishes the result with its method.

Anti-fraud: a vote is flagged (and left out of the count, listed for review) when the voting account
was created after the campaign opened, or when one account casts BURST_VOTES or more votes (for
different elders) within BURST_MINUTES — every vote of the burst is flagged.

Score (0–100) = weight_ratings% × elders' satisfaction over the period (selectors.satisfaction)
              + weight_assessment% × the published yearly assessment (assessment.selectors.published_result)
              + weight_votes% × votes relative to the most-voted nominee (100 for the leader).
A missing part (no ratings, no published assessment, no counted vote) counts 0."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped
from zhucan.assessment.selectors import published_result
from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.core.audit import audit_record, snapshot
from zhucan.core.errors import NotFound, PermissionDenied
from zhucan.core.text import require_storable
from zhucan.elders.models import Elder
from zhucan.evaluation.errors import evaluation_error
from zhucan.evaluation.models import Campaign, CampaignStatus, Nominee, Vote
from zhucan.evaluation.selectors import satisfaction
from zhucan.evaluation.services import _phone_actor
from zhucan.regions.models import Level, Region

BURST_VOTES = 3
BURST_MINUTES = 10
FLAG_LABELS = {"new_account": "账号在评选开始后注册", "burst": "同一账号短时间内多次投票"}
_TENTH = Decimal("0.1")
CAMPAIGN_AUDITED = ["title", "city", "period_start", "period_end", "assessment_year", "vote_start", "vote_end",
                    "weight_ratings", "weight_assessment", "weight_votes", "status"]


def _city_of(user) -> Region | None:
    if user.region_id:
        return user.region.ancestor(Level.CITY)
    if user.canteen_id:
        return user.canteen.region.ancestor(Level.CITY)
    return None


def campaigns_for(*, user):
    """The campaigns of the user's city (every city's for the platform administrator)."""
    if not has_perm(user, "evaluation", "view"):
        return Campaign.objects.none()
    qs = Campaign.objects.select_related("city")
    if user.is_superuser:
        return qs
    city = _city_of(user)
    return qs.filter(city=city) if city else qs.none()


def campaign_get(*, user, campaign_id: int) -> Campaign:
    campaign = campaigns_for(user=user).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("评选", "campaign")
    return campaign


def campaign_create(*, actor, title: str, period_start: date, period_end: date, assessment_year: int,
                    vote_start: datetime, vote_end: datetime, weight_ratings: int, weight_assessment: int,
                    weight_votes: int, ip: str | None = None) -> Campaign:
    """The city opens a campaign; the weights are percent and must sum to 100."""
    if not has_perm(actor, "campaign", "manage"):
        raise PermissionDenied("发起评选", "open a campaign")
    city = _city_of(actor)
    if city is None:
        raise PermissionDenied("发起评选", "open a campaign")
    title = (title or "").strip()
    if not title:
        raise evaluation_error("CAMPAIGN_TITLE", field="title")
    require_storable(title, field="title")
    weights = [int(weight_ratings), int(weight_assessment), int(weight_votes)]
    if sum(weights) != 100 or min(weights) < 0:
        raise evaluation_error("CAMPAIGN_WEIGHTS", field="weight_ratings", total=sum(weights))
    if period_end < period_start:
        raise evaluation_error("CAMPAIGN_DATES", field="period_end", what="评价统计截止日不能早于起始日",
                               what_en="the rating period ends before it starts")
    if vote_end <= vote_start:
        raise evaluation_error("CAMPAIGN_DATES", field="vote_end", what="投票截止时间须晚于开始时间",
                               what_en="voting must end after it starts")
    with transaction.atomic():
        campaign = Campaign.objects.create(
            city=city, title=title, period_start=period_start, period_end=period_end,
            assessment_year=assessment_year, vote_start=vote_start, vote_end=vote_end, weight_ratings=weights[0],
            weight_assessment=weights[1], weight_votes=weights[2], created_by=actor, created_at=clock.now())
        audit_record(actor=actor, action="evaluation.campaign_create", obj=campaign, region_path=city.path,
                     after=snapshot(campaign, CAMPAIGN_AUDITED), ip=ip)
    return campaign


def nominee_add(*, actor, campaign_id: int, canteen_id: int, reason: str = "", ip: str | None = None) -> Nominee:
    """A district nominates one of its canteens, until the first vote is cast."""
    if not has_perm(actor, "campaign", "nominate"):
        raise PermissionDenied("推荐候选助餐点", "nominate")
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_get(user=actor, campaign_id=campaign_id).pk)
        canteen = get_scoped(Canteen.objects.select_related("region"), actor, "view", what_zh="助餐点",
                             what_en="canteen", pk=canteen_id)
        if not canteen.region.path.startswith(campaign.city.path):
            raise evaluation_error("CAMPAIGN_CANTEEN_OUTSIDE", field="canteen")
        if campaign.status == CampaignStatus.PUBLISHED:
            raise evaluation_error("CAMPAIGN_PUBLISHED", action="推荐", action_en="nominate")
        # The list is frozen once anyone has voted (a nomination before the first vote wrongs nobody).
        if clock.now() >= campaign.vote_end or Vote.objects.filter(campaign=campaign).exists():
            raise evaluation_error("CAMPAIGN_NOMINATION_CLOSED")
        if Nominee.objects.filter(campaign=campaign, canteen=canteen).exists():
            raise evaluation_error("CAMPAIGN_ALREADY_NOMINATED", name=canteen.name)
        require_storable(reason, field="reason")
        nominee = Nominee.objects.create(campaign=campaign, canteen=canteen, reason=(reason or "").strip()[:300],
                                         nominated_by=actor, nominated_at=clock.now())
        audit_record(actor=actor, action="evaluation.nominate", obj=nominee, region_path=canteen.region.path,
                     object_repr=f"{campaign.title} · {canteen.name}", after={"campaign": campaign.pk,
                                                                               "canteen": canteen.pk}, ip=ip)
    return nominee


def open_campaigns(*, elder: Elder, now: datetime | None = None) -> list[Campaign]:
    """Campaigns of the elder's city whose vote is open now."""
    now = now or clock.now()
    city = elder.community.ancestor(Level.CITY)
    return list(Campaign.objects.filter(city=city, status=CampaignStatus.OPEN, vote_start__lte=now, vote_end__gt=now)
                .prefetch_related("nominees__canteen"))


def vote_cast(*, account, elder: Elder, campaign_id: int, nominee_id: int, ip: str | None = None) -> Vote:
    """One vote for the elder (identity-bound: the caller checked the account's binding to the elder).
    A second vote for the same elder, from any account, is refused."""
    now = clock.now()
    try:
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update().select_related("city").filter(pk=campaign_id).first()
            if campaign is None or campaign.status != CampaignStatus.OPEN:
                raise NotFound("评选", "campaign")
            if not elder.community.path.startswith(campaign.city.path):
                raise evaluation_error("VOTE_ELDER_OUTSIDE")
            if not campaign.vote_start <= now < campaign.vote_end:
                raise evaluation_error("VOTE_NOT_OPEN", start=f"{clock.local_date(campaign.vote_start):%m月%d日}",
                                       end=f"{clock.local_date(campaign.vote_end - timedelta(seconds=1)):%m月%d日}")
            earlier = Vote.objects.filter(campaign=campaign, elder=elder).first()
            if earlier is not None:
                raise evaluation_error("VOTE_ALREADY", name=elder.name[:1] + "*" * max(1, len(elder.name) - 1),
                                       date=f"{clock.local_date(earlier.cast_at):%m月%d日}")
            nominee = Nominee.objects.filter(campaign=campaign, pk=nominee_id).select_related("canteen").first()
            if nominee is None:
                raise evaluation_error("VOTE_NOMINEE", field="nominee")
            flags = []
            if account.created_at >= campaign.created_at:
                flags.append("new_account")
            window = Vote.objects.filter(campaign=campaign, account=account,
                                         cast_at__gt=now - timedelta(minutes=BURST_MINUTES))
            if window.count() + 1 >= BURST_VOTES:
                flags.append("burst")
                for other in window:
                    if "burst" not in other.flags:
                        other.flags = [*other.flags, "burst"]
                        other.save(update_fields=["flags"])
            vote = Vote.objects.create(campaign=campaign, nominee=nominee, elder=elder, account=account, cast_at=now,
                                       flags=flags)
            audit_record(actor=_phone_actor(account), action="evaluation.vote", obj=vote,
                         region_path=elder.community.path, object_repr=f"{campaign.title} · {nominee.canteen.name}",
                         after={"nominee": nominee.pk, "flags": flags}, ip=ip)
    except IntegrityError as exc:  # two accounts of one elder at the same moment
        raise evaluation_error("VOTE_ALREADY", name="该老人", date=f"{clock.local_date(now):%m月%d日}") from exc
    return vote


def _method(campaign: Campaign) -> str:
    return (f"综合得分（百分制）＝老年人评价满意度×{campaign.weight_ratings}%＋"
            f"{campaign.assessment_year}年度服务质量评估得分×{campaign.weight_assessment}%＋"
            f"公众投票得分×{campaign.weight_votes}%。老年人评价满意度为"
            f"{campaign.period_start:%Y年%m月%d日}至{campaign.period_end:%Y年%m月%d日}就餐评价中口味、分量、卫生、"
            f"服务四项的平均（1星计0分、5星计100分）；公众投票得分为有效票数与最高票数之比×100。"
            f"每位老人限投一票；评选开始后注册的账号所投的票、同一账号{BURST_MINUTES}分钟内投出{BURST_VOTES}票及以上的，"
            f"列为待核查票，不计入得分。缺少的分项按0分计。")


def campaign_publish(*, actor, campaign_id: int, ip: str | None = None) -> Campaign:
    """After the vote closes, the city computes and publishes the ranking with its method."""
    if not has_perm(actor, "campaign", "manage"):
        raise PermissionDenied("公布评选结果", "publish")
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_get(user=actor, campaign_id=campaign_id).pk)
        if campaign.status == CampaignStatus.PUBLISHED:
            raise evaluation_error("CAMPAIGN_PUBLISHED", action="公布", action_en="publish again")
        if clock.now() < campaign.vote_end:
            raise evaluation_error("CAMPAIGN_NOT_ENDED", end=f"{clock.local_date(campaign.vote_end):%m月%d日}")
        nominees = list(campaign.nominees.select_related("canteen"))
        counted = {n.pk: 0 for n in nominees}
        for vote in Vote.objects.filter(campaign=campaign):
            if not vote.flags:
                counted[vote.nominee_id] += 1
        top = max(counted.values(), default=0)
        for n in nominees:
            n.ratings_score, n.ratings_count = satisfaction(n.canteen_id, campaign.period_start, campaign.period_end)
            result = published_result(n.canteen_id, campaign.assessment_year)
            n.assessment_score = Decimal(result[0]).quantize(_TENTH) if result else None
            n.votes = counted[n.pk]
            n.votes_score = (Decimal(n.votes) * 100 / top).quantize(_TENTH) if top else None
            n.total = ((n.ratings_score or 0) * campaign.weight_ratings
                       + (n.assessment_score or 0) * campaign.weight_assessment
                       + (n.votes_score or 0) * campaign.weight_votes) / Decimal(100)
            n.total = Decimal(n.total).quantize(_TENTH)
        nominees.sort(key=lambda n: (-n.total, n.canteen.name))
        for rank, n in enumerate(nominees, start=1):
            n.rank = rank
            n.save(update_fields=["ratings_score", "ratings_count", "assessment_score", "votes", "votes_score",
                                  "total", "rank"])
        before = snapshot(campaign, CAMPAIGN_AUDITED)
        campaign.status, campaign.published_at = CampaignStatus.PUBLISHED, clock.now()
        campaign.method = _method(campaign)
        campaign.save(update_fields=["status", "published_at", "method"])
        audit_record(actor=actor, action="evaluation.campaign_publish", obj=campaign, region_path=campaign.city.path,
                     before=before, after={**snapshot(campaign, CAMPAIGN_AUDITED),
                                           "ranking": [(n.canteen_id, str(n.total)) for n in nominees]}, ip=ip)
    return campaign


def flagged_votes(*, campaign: Campaign) -> list[Vote]:
    return list(Vote.objects.filter(campaign=campaign).exclude(flags=[]).select_related("nominee__canteen", "account")
                .order_by("cast_at"))


def tallies(*, campaign: Campaign) -> dict[int, tuple[int, int]]:
    """nominee id → (counted votes, flagged votes)."""
    out: dict[int, list[int]] = {}
    for vote in Vote.objects.filter(campaign=campaign).only("nominee_id", "flags"):
        acc = out.setdefault(vote.nominee_id, [0, 0])
        acc[1 if vote.flags else 0] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}
