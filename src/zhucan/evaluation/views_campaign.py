"""The campaign's pages: the console (/evaluation/campaigns/: the city opens and publishes, districts
nominate, flagged votes listed for review), the vote on the phone page (/h5/e/<elder>/vote/), and the
published result with its method (/public/campaigns/<id>/, no login)."""

from __future__ import annotations

from datetime import date, datetime, time

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import restrict
from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import client_ip, run_service
from zhucan.core.sealed import mask_name
from zhucan.elderphone.phones import name_mask
from zhucan.elderphone.selectors import account_elder
from zhucan.elderphone.session import h5_login_required
from zhucan.evaluation import campaigns
from zhucan.evaluation.models import Campaign, CampaignStatus, Vote


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except (TypeError, ValueError):
        return None


def _moment(raw: str, *, end: bool = False) -> datetime | None:
    day = _date(raw)
    if day is None:
        return None
    return datetime.combine(day, time.max if end else time.min, clock.LOCAL_TZ)


@requires("evaluation", "view")
@require_http_methods(["GET", "POST"])
def campaign_list(request):
    """The city's campaigns; the city administrator opens a new one here."""
    user = request.user
    can_manage = has_perm(user, "campaign", "manage")
    error, form = None, {}
    if request.method == "POST":
        if not can_manage:
            return render(request, "console/denied.html", status=403)
        form = request.POST
        values = {"period_start": _date(form.get("period_start")), "period_end": _date(form.get("period_end")),
                  "vote_start": _moment(form.get("vote_start")), "vote_end": _moment(form.get("vote_end"), end=True)}
        missing = [label for key, label in (("period_start", "评价统计起始日"), ("period_end", "评价统计截止日"),
                                            ("vote_start", "投票开始日"), ("vote_end", "投票截止日"))
                   if values[key] is None]
        try:
            weights = [int(form.get(k) or "x") for k in ("weight_ratings", "weight_assessment", "weight_votes")]
            year = int(form.get("assessment_year") or "x")
        except ValueError:
            weights, year = None, None
        if missing:
            error = f"请填写{'、'.join(missing)}"
        elif weights is None:
            error = "三项权重和年度评估年份须为整数"
        else:
            try:
                campaign = campaigns.campaign_create(
                    actor=user, title=form.get("title", ""), assessment_year=year, weight_ratings=weights[0],
                    weight_assessment=weights[1], weight_votes=weights[2], ip=client_ip(request), **values)
            except NotFound:
                raise
            except DomainError as exc:
                error = exc.message_zh
            else:
                messages.success(request, f"已发起：{campaign.title}")
                return redirect("evaluation:campaign", campaign_id=campaign.pk)
    today = clock.local_today()
    return render(request, "evaluation/campaigns.html", {
        "campaigns": campaigns.campaigns_for(user=user), "can_manage": can_manage, "error": error, "form": form,
        "defaults": {"year": today.year - 1, "start": date(today.year, 1, 1), "end": today}})


@requires("evaluation", "view")
def campaign_detail(request, campaign_id: int):
    user = request.user
    campaign = campaigns.campaign_get(user=user, campaign_id=campaign_id)
    nominees = list(campaign.nominees.select_related("canteen__region"))
    counts = campaigns.tallies(campaign=campaign)
    open_to_nominate = (campaign.status == CampaignStatus.OPEN and clock.now() < campaign.vote_end
                        and not Vote.objects.filter(campaign=campaign).exists())
    can_nominate = open_to_nominate and has_perm(user, "campaign", "nominate")
    nominated = {n.canteen_id for n in nominees}
    choices = []
    if can_nominate:
        choices = [c for c in restrict(Canteen.objects.select_related("region"), user, "view")
                   .filter(region__path__startswith=campaign.city.path).order_by("region__path", "name")
                   if c.pk not in nominated]
    return render(request, "evaluation/campaign.html", {
        "c": campaign, "nominees": [(n, *counts.get(n.pk, (0, 0))) for n in nominees], "choices": choices,
        "can_nominate": can_nominate, "now": clock.now(),
        "can_publish": campaign.status == CampaignStatus.OPEN and has_perm(user, "campaign", "manage"),
        "flagged": [(v, mask_name(v.elder.name), [campaigns.FLAG_LABELS[f] for f in v.flags])
                    for v in Vote.objects.filter(campaign=campaign).exclude(flags=[])
                    .select_related("nominee__canteen", "elder", "account").order_by("cast_at")],
    })


@require_POST
@requires("campaign", "nominate")
def campaign_nominate(request, campaign_id: int):
    canteen_id = request.POST.get("canteen", "")
    try:
        run_service(request, lambda: campaigns.nominee_add(
            actor=request.user, campaign_id=campaign_id, canteen_id=int(canteen_id) if canteen_id.isdigit() else 0,
            reason=request.POST.get("reason", ""), ip=client_ip(request)), "已推荐")
    except NotFound as exc:  # a campaign or a canteen out of reach: one answer, as for a missing id
        raise NotFound() from exc
    return redirect("evaluation:campaign", campaign_id=campaign_id)


@require_POST
@requires("campaign", "manage")
def campaign_publish(request, campaign_id: int):
    run_service(request, lambda: campaigns.campaign_publish(actor=request.user, campaign_id=campaign_id,
                                                            ip=client_ip(request)), "评选结果已公布")
    return redirect("evaluation:campaign", campaign_id=campaign_id)


# ---- the phone page ---------------------------------------------------------------------------------


@never_cache
@h5_login_required
@require_http_methods(["GET", "POST"])
def vote(request, elder_id: int):
    try:
        elder, _binding = account_elder(account=request.h5_account, elder_id=elder_id)
    except NotFound:
        return render(request, "elderphone/h5/not_found.html", status=404)
    error, status = None, 200
    if request.method == "POST":
        try:
            campaigns.vote_cast(account=request.h5_account, elder=elder,
                                campaign_id=int(request.POST.get("campaign", "0") or 0),
                                nominee_id=int(request.POST.get("nominee", "0") or 0), ip=client_ip(request))
        except NotFound:
            return render(request, "elderphone/h5/not_found.html", status=404)
        except (DomainError, ValueError) as exc:
            error, status = getattr(exc, "message_zh", "请选择一家候选助餐点"), 400
        else:
            return redirect(f"{reverse('h5eval:vote', args=[elder.pk])}?voted=1")
    rows = []
    for campaign in campaigns.open_campaigns(elder=elder):
        mine = Vote.objects.filter(campaign=campaign, elder=elder).select_related("nominee__canteen").first()
        rows.append((campaign, sorted(campaign.nominees.all(), key=lambda n: n.canteen.name), mine))
    return render(request, "evaluation/h5/vote.html", {
        "elder": elder, "masked_name": name_mask(elder.name), "rows": rows, "error": error,
        "voted": request.GET.get("voted")}, status=status)


# ---- the published result ---------------------------------------------------------------------------


@require_GET
def campaign_result(request, campaign_id: int):
    campaign = Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.PUBLISHED).first()
    if campaign is None:
        raise Http404("评选结果尚未公布")
    return render(request, "evaluation/public/campaign.html", {
        "c": campaign, "nominees": campaign.nominees.select_related("canteen__region").order_by("rank")})
