from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from zhucan.accounts.permissions import PERMISSIONS, has_perm

# The console's menus, in order. Each entry: (group, label, URL name, (resource, action) or None).
# Pages of apps not installed (their URL name does not reverse) are skipped; an entry whose
# permission is not in the table yet is shown to anyone signed in and its page guards itself.
GROUPS = [
    ("work", _("工作台")),
    ("registry", _("老人与助餐点")),
    ("money", _("资金结算")),
    ("supervision", _("监管")),
    ("system", _("系统")),
]
NAV = [
    ("work", _("数据看板"), "analytics:dashboard", ("dashboard", "view")),
    ("work", _("工作台首页"), "console:workbench", None),
    ("work", _("收银台"), "checkout:cashier", ("meal", "create")),
    ("work", _("实时就餐"), "checkout:live", ("meal", "view")),
    ("work", _("代老人订餐"), "orderchannel:start", ("order", "place")),
    ("work", _("订餐配送"), "delivery:board", ("order", "view")),
    ("work", _("菜单预订"), "orders:menus", ("order_menu", "manage")),
    ("registry", _("老年人档案"), "elders:list", ("elder", "view")),
    ("registry", _("助餐点"), "canteens:list", ("canteen", "view")),
    ("registry", _("定点备案"), "filing:queue", ("filing", "view")),
    ("registry", _("本店备案"), "filing:mine", ("filing", "fill")),
    ("registry", _("配送范围"), "orders:coverage", ("order_coverage", "view")),
    ("money", _("结算"), "settlement:list", ("statement", "view")),
    ("money", _("建设补贴与运营奖补"), "funds:index", ("funds", "view")),
    ("money", _("在线支付对账"), "payments:reconciliation", ("payment", "view")),
    ("supervision", _("预警"), "alerts:list", ("alert", "view")),
    ("supervision", _("订餐送餐监管"), "orders:supervision", ("order", "supervise")),
    ("supervision", _("评价与投诉"), "evaluation:index", ("evaluation", "view")),
    ("supervision", _("服务质量评估"), "assessment:index", ("assessment", "view")),
    ("supervision", _("双随机检查"), "inspections:index", ("inspection", "view")),
    ("supervision", _("视频监控"), "video:wall", ("video", "view")),
    ("supervision", _("视频查看记录"), "video:log", ("video_log", "view")),
    ("system", _("行政区划"), "regions:tree", ("region", "view")),
    ("system", _("用户"), "accounts:user_list", ("user", "view")),
    ("system", _("审计日志"), "console:audit_list", ("audit", "view")),
]


def _shown(user, perm) -> bool:
    return perm is None or perm not in PERMISSIONS or has_perm(user, *perm)


def console_menus(user) -> list[dict]:
    """The menus this user sees: [{"label", "items": [{"label", "url"}]}], empty groups left out."""
    items: dict[str, list[dict]] = {key: [] for key, _label in GROUPS}
    for group, label, name, perm in NAV:
        if not _shown(user, perm):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items[group].append({"label": str(label), "url": url})
    return [{"key": key, "label": str(label), "items": items[key]} for key, label in GROUPS if items[key]]


def console(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    menus = console_menus(user)
    return {"console_menus": menus, "console_nav": [item for menu in menus for item in menu["items"]],
            "simulated_clock": _simulated_clock()}


def _simulated_clock() -> str:
    """'11:03' when the platform runs on a simulated clock (demo, training), else ''."""
    from django.conf import settings

    from zhucan.core import clock

    return f"{clock.local_now():%H:%M}" if getattr(settings, "ZHUCAN_CLOCK_START", None) else ""
