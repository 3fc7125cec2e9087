"""The dashboard (`/dashboard/`), its exports, the list of elders not reached, and the big screen
(`/dashboard/screen/`). Thin: choose the range, call the selectors, shape tables and charts."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from zhucan.accounts.gate import requires
from zhucan.accounts.models import CANTEEN_ROLES
from zhucan.accounts.permissions import has_perm
from zhucan.analytics import panels, selectors
from zhucan.core import clock, money
from zhucan.core.audit import CountedRows, audit_export
from zhucan.core.http import client_ip, paginate
from zhucan.core.sealed import mask_name
from zhucan.core.xlsx import xlsx_bytes, xlsx_response
from zhucan.elders.models import Elder


def _scope_name(user) -> str:
    if user.is_superuser:
        return _("全市")
    if user.canteen_id and user.canteen:
        return user.canteen.name
    return user.region.name if user.region_id else ""


def _tables(user, chosen: panels.Chosen, only: str | None = None) -> dict[str, panels.Table]:
    """Every panel of the range (or only the one named, for its export), in the page's order."""
    r = chosen.range
    rule_names, funder_names = panels.policy_labels(user)
    span = {"user": user, "start": r.start, "end": r.end}
    coverage = []

    def cov(part: str):
        if not coverage:
            coverage.append(selectors.coverage(**span))
        report = coverage[0]
        return [*report.by_subdistrict, report.total] if part == "total" else getattr(report, part)

    builders = {
        "days": lambda: panels.table_days(selectors.by_day(**span), with_elders=selectors.sees_elders(user)),
        "periods": lambda: panels.table_periods(selectors.by_period(**span)),
        "funders": lambda: panels.table_funders(selectors.totals(**span), funder_names),
        "rules": lambda: panels.table_rules(selectors.by_rule(**span), rule_names, funder_names),
        "methods": lambda: panels.table_methods(selectors.by_method(**span)),
        "canteens": lambda: (panels.table_canteens(_with_idle(user, selectors.by_canteen(**span))) if only
                             else _canteens_page(user, span)),
        "regions": lambda: panels.table_regions(selectors.by_child_region(**span)),
    }
    if selectors.sees_elders(user):
        builders.update({
            "coverage_subdistrict": lambda: panels.table_coverage(
                "coverage_subdistrict", _("覆盖率：按街道"), _("街道"), cov("total")),
            "coverage_community": lambda: panels.table_coverage(
                "coverage_community", _("覆盖率：按社区"), _("社区"), cov("by_community")),
            "coverage_age": lambda: panels.table_coverage(
                "coverage_age", _("覆盖率：按年龄段"), _("年龄段"), cov("by_age")),
            "coverage_tag": lambda: panels.table_coverage(
                "coverage_tag", _("覆盖率：按标签"), _("标签"), cov("by_tag")),
        })
    if only is not None:
        return {only: builders[only]()} if only in builders else {}
    if not _compares_areas(user):
        del builders["regions"]
    return {key: build() for key, build in builders.items()}


def _canteens_page(user, span) -> panels.Table:
    """The page shows the canteens with the most meals (as many as ZHUCAN_DASHBOARD_CANTEEN_PAGE); a
    city's full list (with the canteens that served nobody) is the table's export."""
    size = settings.ZHUCAN_DASHBOARD_CANTEEN_PAGE
    rows, count = selectors.by_canteen_page(**span, size=size)
    if count <= size:
        return panels.table_canteens(_with_idle(user, rows))
    table = panels.table_canteens(rows)
    table.note = _("共 %(count)s 家助餐点有就餐，此处列出就餐份数最多的 %(shown)s 家；"
                   "全部助餐点（含本期无人就餐的）请导出 Excel。") % {"count": count, "shown": len(rows)}
    return table


def _with_idle(user, rows):
    idle = selectors.idle_canteens(user=user, exclude={c.pk for c, _t in rows})
    return rows + [(c, selectors.Totals()) for c in idle]


def _compares_areas(user) -> bool:
    """Canteens hang on subdistricts: the city compares its districts, a district its subdistricts;
    below that (and for a canteen's own view) there is nothing to compare."""
    if user.is_superuser:
        return True
    return bool(user.region_id and user.role not in CANTEEN_ROLES and user.region.level in ("city", "district"))


def _today_block(user, today) -> dict:
    live = selectors.today_live(user=user, today=today)
    _rules, funder_names = panels.policy_labels(user)
    t = live["totals"]
    return {
        "date": today.isoformat(),
        "time": f"{clock.local_now():%H:%M:%S}",
        "meals": t.meals, "elder_meals": t.elder_meals, "elders": t.elders,
        "benefit": money.fen_to_grouped(t.benefit_fen),
        "funders": [{"name": funder_names.get(f, f), "yuan": money.fen_to_grouped(fen)}
                    for f, fen in t.funders().items() if fen or f != "other"],
        "chart": panels.table_periods(live["periods"], key="today", title=_("今日分时段")).chart,
    }


@requires("dashboard", "view")
def dashboard(request):
    user = request.user
    today = clock.local_today()
    chosen = panels.choose_range(request.GET, user=user, today=today)
    tables = _tables(user, chosen)
    prev = chosen.range.previous()
    total = selectors.totals(user=user, start=chosen.range.start, end=chosen.range.end)
    before = selectors.totals(user=user, start=prev.start, end=prev.end)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "analytics/dashboard.html", {
        "scope_name": _scope_name(user),
        "chosen": chosen,
        "presets": panels.PRESETS,
        "previous": prev,
        "headline": panels.compare(total, before),
        "tables": list(tables.values()),
        "charts": {t.key: t.chart for t in tables.values() if t.chart},
        "today": _today_block(user, today),
        "query": query.urlencode(),
        "can_export": has_perm(user, "dashboard", "export"),
        "can_not_reached": has_perm(user, "dashboard", "not_reached") and selectors.sees_elders(user),
        "not_reached_count": (selectors.not_reached(user=user, today=today).count()
                              if has_perm(user, "dashboard", "not_reached") else None),
    })


@requires("dashboard", "view")
def live_json(request):
    """Today's figures for the dashboard's auto-refresh."""
    return JsonResponse(_today_block(request.user, clock.local_today()))


@requires("dashboard", "export")
def export(request, table: str):
    user = request.user
    today = clock.local_today()
    chosen = panels.choose_range(request.GET, user=user, today=today)
    t = _tables(user, chosen, only=table).get(table)
    if t is None:
        raise Http404
    rows = CountedRows(t.rows)
    content = xlsx_bytes(sheet=t.title, headers=t.headers, rows=rows)
    r = chosen.range
    audit_export(actor=user, what="dashboard", filters={"table": t.title, "start": r.start, "end": r.end},
                 rows=rows.count, ip=client_ip(request))
    return xlsx_response(f"{t.title}-{r.start:%Y%m%d}-{r.end:%Y%m%d}.xlsx", content)


def _not_reached_rows(user, elders, *, whole: bool):
    last = selectors.last_meal_dates([e.pk for e in elders])
    today = clock.local_today()
    for e in elders:
        yield [e.name if whole else mask_name(e.name), e.get_sex_display(), e.age_on(today),
               e.community.parent.name if e.community.parent_id else "", e.community.name,
               "、".join(t.name for t in e.tags.all()),
               (e.phone if whole else e.phone_masked), (e.address if whole else e.address_masked),
               f"{last[e.pk]:%Y-%m-%d}" if e.pk in last else _("从未就餐")]


def _not_reached_headers() -> list[str]:
    return [_("姓名"), _("性别"), _("年龄"), _("街道"), _("社区"), _("标签"), _("联系电话"), _("居住地址"),
            _("最近就餐")]


@requires("dashboard", "not_reached")
def not_reached(request):
    user = request.user
    page, query = paginate(request, selectors.not_reached(user=user, today=clock.local_today()))
    rows = list(_not_reached_rows(user, selectors.page_elders(page.object_list), whole=False))
    return render(request, "analytics/not_reached.html", {
        "page": page, "rows": rows, "headers": _not_reached_headers(), "query": query,
        "days": selectors.NOT_REACHED_DAYS, "total": page.paginator.count, "scope_name": _scope_name(user),
        "can_export": has_perm(user, "dashboard", "export"),
    })


@requires("dashboard", "not_reached")
def not_reached_export(request):
    """For community visits: names, phones and addresses whole for the roles that contact elders
    (as the elder export), masked for the others; the audit row says which."""
    user = request.user
    if not has_perm(user, "dashboard", "export"):
        return render(request, "console/denied.html", status=403)
    whole = has_perm(user, "elder", "reveal_id")
    elders: list[Elder] = selectors.page_elders(selectors.not_reached(user=user, today=clock.local_today()))
    rows = CountedRows(_not_reached_rows(user, elders, whole=whole))
    content = xlsx_bytes(sheet=_("近30天未就餐老人"), headers=_not_reached_headers(), rows=rows)
    audit_export(actor=user, what="dashboard.not_reached", filters={"days": selectors.NOT_REACHED_DAYS,
                 "full_contact": whole}, rows=rows.count, ip=client_ip(request))
    return xlsx_response(_("近30天未就餐老人") + f"-{clock.local_today():%Y%m%d}.xlsx", content)


# ---- the big screen -------------------------------------------------------------------------------


@requires("dashboard", "view")
def screen(request):
    return render(request, "analytics/screen.html", {"scope_name": _scope_name(request.user),
                                                     "data": screen_data(request.user)})


@requires("dashboard", "view")
def screen_json(request):
    return JsonResponse(screen_data(request.user))


def _open_alerts(user) -> list[dict]:
    from zhucan.alerts.selectors import open_alerts

    out = []
    for a in open_alerts(user, limit=10):
        local = a.occurred_at.astimezone(clock.LOCAL_TZ)
        out.append({"title": a.title, "place": a.canteen.name if a.canteen_id else "",
                    "status": a.get_status_display(), "at": f"{local:%m-%d %H:%M}"})
    return out


def screen_data(user) -> dict:
    today = clock.local_today()
    live = _today_block(user, today)
    regions = selectors.by_child_region(user=user, start=today, end=today)
    canteens, _count = selectors.by_canteen_page(user=user, start=today, end=today, size=10)
    feed = []
    for m in selectors.latest_meals(user=user, today=today, limit=12):
        local = m.at.astimezone(clock.LOCAL_TZ)
        feed.append({"time": f"{local:%H:%M:%S}", "canteen": m.canteen.name,
                     "elder": mask_name(m.elder.name) if m.elder_id else _("顾客"),
                     "kind": m.get_kind_display(), "period": panels.period_label(m.period),
                     "gross": money.fen_to_yuan(m.gross_fen), "benefit": money.fen_to_yuan(m.benefit_fen)})
    month = selectors.totals(user=user, start=today.replace(day=1), end=today)
    return {
        "today": live,
        "month": {"meals": month.meals, "elder_meals": month.elder_meals, "elders": month.elders,
                  "benefit": money.fen_to_grouped(month.benefit_fen)},
        "regions": [{"name": r.name, "meals": x.meals, "elder_meals": x.elder_meals,
                     "benefit": money.fen_to_grouped(x.benefit_fen)} for r, x in regions],
        "canteens": [{"name": c.name, "meals": x.meals, "elder_meals": x.elder_meals} for c, x in canteens],
        "feed": feed,
        "alerts": _open_alerts(user),
    }
