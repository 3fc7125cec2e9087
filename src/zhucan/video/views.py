"""Watching video (issue #19 item 6): the wall of canteens for the city and the districts, a
canteen's channels, the player (a viewing session with its purpose, heartbeat and watermark), the
view log, and the public kitchen kiosk. Thin: validate, call a service or selector, render.

The video itself goes through `hls`: every playlist and segment request carries a signed token
(`video.tokens`) and the relay (`video.relay`) is asked for the stream, never the camera's address."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from zhucan.accounts.gate import requires
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.core.http import client_ip, paginate
from zhucan.video import selectors_viewing as selectors
from zhucan.video import services_viewing as services
from zhucan.video.models import Channel, Zone
from zhucan.video.models_viewing import ViewPurpose, ViewSession
from zhucan.video.relay import KEY_RE, PLAYLIST, SEGMENT_RE, relay_error, relay_want, stream_dir
from zhucan.video.tokens import BadToken, token_issue, token_read

# ---- the wall and a canteen's channels ------------------------------------------------------------


@requires("video", "view")
def wall(request):
    user = request.user
    districts = list(selectors.districts_in_scope(user=user))
    district_id = _int(request.GET.get("district"))
    status = request.GET.get("status", "")
    q = request.GET.get("q", "").strip()[:50]
    rows = selectors.wall(user=user, district_id=district_id, status=status, q=q, with_uptime=True)
    counts = {key: 0 for key in selectors.WALL_STATUSES}
    for row in selectors.wall(user=user, district_id=district_id):
        counts[row.status] += 1
        counts["playback_failing"] += row.playback_failing
    return render(request, "video/wall.html", {
        "rows": rows, "districts": districts if len(districts) > 1 else [], "district_id": district_id,
        "status": status, "q": q, "statuses": [(k, v, counts[k]) for k, v in selectors.WALL_STATUSES.items()],
    })


class OpenForm(forms.Form):
    purpose = forms.ChoiceField(label=gettext_lazy("查看事由"), choices=ViewPurpose.choices)
    mode = forms.ChoiceField(choices=[("live", gettext_lazy("实时")), ("playback", gettext_lazy("回放"))],
                             initial="live", widget=forms.RadioSelect)
    start = forms.DateTimeField(label=gettext_lazy("回放时间"), required=False,
                                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


@requires("video", "view")
def canteen(request, canteen_id: int):
    item = selectors.canteen_get(user=request.user, canteen_id=canteen_id)
    rows = [r for r in selectors.wall(user=request.user) if r.canteen.pk == item.pk]
    row = rows[0] if rows else None
    now = clock.local_now()
    return render(request, "video/canteen.html", {
        "canteen": item, "row": row, "channels": list(selectors.channels_of(canteen=item)),
        "form": OpenForm(), "earliest": (now - timedelta(days=services.PLAYBACK_DAYS)).strftime("%Y-%m-%dT%H:%M"),
        "latest": now.strftime("%Y-%m-%dT%H:%M"),
    })


@require_POST
@requires("video", "view")
def open_channel(request, channel_id: int):
    channel = selectors.channel_get(user=request.user, channel_id=channel_id)
    form = OpenForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, _("请选择查看事由") if field == "purpose" else f"{label}：{errors[0]}")
        return redirect("video:canteen", canteen_id=channel.canteen_id)
    start = None
    if form.cleaned_data["mode"] == "playback":
        start = form.cleaned_data["start"]
        if start is None:
            messages.error(request, _("请填写正确的回放时间"))
            return redirect("video:canteen", canteen_id=channel.canteen_id)
        if start.tzinfo is None:
            start = start.replace(tzinfo=clock.LOCAL_TZ)
    try:
        session = services.view_session_open(actor=request.user, channel=channel,
                                             purpose=form.cleaned_data["purpose"], start=start,
                                             ip=client_ip(request))
    except DomainError as exc:
        messages.error(request, exc.message_zh)
        return redirect("video:canteen", canteen_id=channel.canteen_id)
    return redirect("video:player", session_id=session.pk)


# ---- the player -----------------------------------------------------------------------------------


def _grant_key(session: ViewSession) -> str:
    if session.live:
        return f"live-{session.channel_id}"
    return f"pb-{session.channel_id}-{int(session.range_start.timestamp())}"


def _session_token(session: ViewSession) -> str:
    return token_issue(channel_id=session.channel_id, user_id=session.user_id, start=session.range_start,
                       session_id=session.pk)


@never_cache
@requires("video", "view")
def player(request, session_id: int):
    session = selectors.session_get(user=request.user, session_id=session_id)
    if session.ended_at is not None:
        messages.error(request, _("本次查看已结束，请重新打开"))
        return redirect("video:canteen", canteen_id=session.canteen_id)
    key = _grant_key(session)
    relay_want(key)
    return render(request, "video/player.html", {
        "session": session, "channel": session.channel, "canteen": session.channel.canteen,
        "src": reverse("video:hls", args=[key, PLAYLIST]), "token": _session_token(session),
        "viewer": _viewer(request.user), "watermark_time": clock.local_now(),
    })


@require_POST
@requires("video", "view")
def beat(request, session_id: int):
    session = selectors.session_get(user=request.user, session_id=session_id)
    try:
        session = services.view_session_beat(actor=request.user, session=session)
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.http_status)
    key = _grant_key(session)
    relay_want(key)
    return JsonResponse({"token": _session_token(session), "problem": relay_error(key)})


@require_POST
@requires("video", "view")
def end(request, session_id: int):
    session = selectors.session_get(user=request.user, session_id=session_id)
    services.view_session_end(actor=request.user, session=session)
    if request.headers.get("Accept", "").startswith("application/json") or request.POST.get("beacon"):
        return JsonResponse({"ended": True})
    return redirect("video:canteen", canteen_id=session.canteen_id)


# ---- the view log -------------------------------------------------------------------------------


@requires("video_log", "view")
def log(request):
    start, end_day = _date(request.GET.get("start")), _date(request.GET.get("end"))
    dining = request.GET.get("dining") == "1"
    qs = selectors.view_log(user=request.user, start=start, end=end_day, dining_only=dining)
    page, query = paginate(request, qs)
    for s in page:
        s.end_shown = selectors.session_end_shown(s)
    return render(request, "video/log.html", {"page": page, "query": query, "start": start, "end": end_day,
                                              "dining": dining})


# ---- the public kitchen kiosk (HZ-F2) -----------------------------------------------------------


def _kiosk_streams(canteen) -> list[dict]:
    return [{"channel": c.pk, "name": c.name, "zone": c.get_zone_display(),
             "src": reverse("video:hls", args=[f"live-{c.pk}", PLAYLIST]),
             "token": token_issue(channel_id=c.pk, user_id=None)}
            for c in selectors.kiosk_channels(canteen=canteen)]


@never_cache
@require_GET
def kiosk(request, canteen_id: int):
    """No login: a public screen in the canteen shows its public kitchen channels only."""
    try:
        item = selectors.kiosk_canteen(canteen_id=canteen_id)
    except DomainError:
        raise Http404 from None
    return render(request, "video/kiosk.html", {"canteen": item, "streams": _kiosk_streams(item)})


@never_cache
@require_GET
def kiosk_tokens(request, canteen_id: int):
    try:
        item = selectors.kiosk_canteen(canteen_id=canteen_id)
    except DomainError:
        raise Http404 from None
    return JsonResponse({"streams": _kiosk_streams(item)})


# ---- the relay's HLS, against the signed token ----------------------------------------------------

_REFUSED = {
    "expired": "视频地址已过期，请刷新页面",
    "forged": "视频地址无效",
    "malformed": "视频地址无效",
    "other user": "视频地址不属于当前登录用户",
    "other stream": "视频地址与所请求的视频不符",
}


@never_cache
@require_GET
def hls(request, key: str, name: str):
    if not KEY_RE.match(key) or not (name == PLAYLIST or SEGMENT_RE.match(name)):
        raise Http404
    token = request.GET.get("t", "")
    user_id = request.user.pk if request.user.is_authenticated else None
    try:
        grant = token_read(token, user_id=user_id, stream_key=key)
    except BadToken as exc:
        return HttpResponse(_REFUSED[exc.reason], status=403, content_type="text/plain; charset=utf-8")
    if name != PLAYLIST:
        path = stream_dir(key) / name
        if not path.is_file():
            raise Http404
        return FileResponse(path.open("rb"), content_type="video/mp2t", headers={"Cache-Control": "no-store"})
    if not _grant_still_allowed(grant):
        return HttpResponse("视频已不可查看", status=403, content_type="text/plain; charset=utf-8")
    relay_want(key)
    try:
        text = (stream_dir(key) / PLAYLIST).read_text()
    except FileNotFoundError:
        problem = relay_error(key)
        return HttpResponse(problem or "正在连接摄像机", status=502 if problem else 503,
                            content_type="text/plain; charset=utf-8", headers={"Retry-After": "1"})
    return HttpResponse(_with_token(text, token), content_type="application/vnd.apple.mpegurl",
                        headers={"Cache-Control": "no-store"})


def _grant_still_allowed(grant) -> bool:
    """On each playlist: a kiosk token only for a channel still public and not the dining area; a
    viewer's token only while the viewing session is open."""
    if grant.user_id is None:
        return Channel.objects.filter(pk=grant.channel_id, public=True, active=True).exclude(
            zone=Zone.DINING).exists()
    return ViewSession.objects.filter(pk=grant.session_id, user_id=grant.user_id, channel_id=grant.channel_id,
                                      ended_at__isnull=True).exists()


def _with_token(playlist: str, token: str) -> str:
    out = []
    for line in playlist.splitlines():
        if line and not line.startswith("#") and SEGMENT_RE.match(line.strip()):
            line = f"{line.strip()}?t={token}"
        elif line and not line.startswith("#"):
            continue  # nothing but our own segments leaves through the relay
        out.append(line)
    return "\n".join(out) + "\n"


def _viewer(user) -> str:
    """The watermark: who is watching, by name and account (a photo of the screen names them)."""
    return f"{user.display_name} {user.username}" if user.display_name not in ("", user.username) else user.username


# ---- small parsing helpers ----------------------------------------------------------------------


def _int(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _date(raw):
    try:
        return datetime.strptime(raw or "", "%Y-%m-%d").date()
    except ValueError:
        return None
