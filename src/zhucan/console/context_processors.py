from django.urls import reverse
from django.utils.translation import gettext as _

from zhucan.accounts.permissions import has_perm


def console(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    nav = [(_("首页"), "console:home", None)]
    nav += [
        (_("收银台"), "checkout:cashier", ("meal", "create")),
        (_("实时就餐"), "checkout:live", ("meal", "view")),
        (_("老年人档案"), "elders:list", ("elder", "view")),
        (_("助餐点"), "canteens:list", ("canteen", "view")),
        (_("建设补贴与运营奖补"), "funds:index", ("funds", "view")),
        (_("定点备案"), "filing:queue", ("filing", "view")),
        (_("本店备案"), "filing:mine", ("filing", "fill")),
        (_("视频监控"), "video:wall", ("video", "view")),
        (_("视频查看记录"), "video:log", ("video_log", "view")),
        (_("视频设备"), "video_registry:list", ("video_device", "view")),
        (_("行政区划"), "regions:tree", ("region", "view")),
        (_("结算"), "settlement:list", ("statement", "view")),
        (_("用户"), "accounts:user_list", ("user", "view")),
        (_("审计日志"), "console:audit_list", ("audit", "view")),
    ]
    items = [{"label": label, "url": reverse(name)} for label, name, perm in nav
             if perm is None or has_perm(user, *perm)]
    return {"console_nav": items, "simulated_clock": _simulated_clock()}


def _simulated_clock() -> str:
    """'11:03' when the platform runs on a simulated clock (demo, training), else ''."""
    from django.conf import settings

    from zhucan.core import clock

    return f"{clock.local_now():%H:%M}" if getattr(settings, "ZHUCAN_CLOCK_START", None) else ""
