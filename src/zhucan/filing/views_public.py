"""The public directory of designated canteens, its open data and the unified sign: no login.

The language is the citizen's choice (the cookie the console's switcher sets, or `?lang=en` on a
link), never the browser's guess, as on every page of the platform."""

from __future__ import annotations

import csv
import io
import json
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zhucan.core.errors import NotFound
from zhucan.filing import public, sign
from zhucan.funds.selectors import published_evaluation

MAX_QUERY = 50
INTERNAL = {"region_path", "policy_id"}  # kept in the records for sorting and the sign, not published
PAGE_MAX_AGE = 300


def _public(view):
    """GET only, the language of `?lang=` when given, and cacheable by browsers and proxies."""

    @require_GET
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        lang = request.GET.get("lang")
        if lang in {code for code, _name in settings.LANGUAGES}:
            request.LANGUAGE_CODE = lang
            with translation.override(lang):
                response = view(request, *args, **kwargs)
        else:
            response = view(request, *args, **kwargs)
        patch_cache_control(response, public=True, max_age=PAGE_MAX_AGE)
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapped


def _record_or_404(canteen_id: int) -> dict:
    try:
        return public.canteen_record(canteen_id=canteen_id)
    except NotFound as exc:
        raise Http404(_("该助餐点不在定点名单中")) from exc


def _lang_suffix(request) -> str:
    lang = request.GET.get("lang")
    return f"lang={lang}" if lang in {code for code, _name in settings.LANGUAGES} else ""


@_public
def canteen_list(request):
    city = public.public_city(request.GET.get("city"))
    if city is None:
        return render(request, "filing/public/cities.html", {
            "cities": public.public_cities(), "lang_suffix": _lang_suffix(request),
        })
    records = public.directory(city=city)
    query = (request.GET.get("q") or "").strip()[:MAX_QUERY]
    if query:
        records = public.search(records, query)
    here = public.Point.parse(request.GET.get("lat"), request.GET.get("lon"))
    context = {
        "city": city, "query": query, "here": here, "count": len(records),
        "several_cities": len(public.public_cities()) > 1, "lang_suffix": _lang_suffix(request),
    }
    if here is not None:
        context["nearest"] = public.nearest(records, here)
    else:
        context["groups"] = public.grouped(records)
    return render(request, "filing/public/list.html", context)


@_public
def canteen_detail(request, canteen_id: int):
    record = _record_or_404(canteen_id)
    # The latest published service-quality assessment (LC-6 评估结果及时向社会公布), read from funds
    # where the assessment app keeps it, outside the cached directory record.
    return render(request, "filing/public/detail.html", {
        "c": record, "hours": public.hours_text(record), "lang_suffix": _lang_suffix(request),
        "evaluation": published_evaluation(canteen_id=record["id"]),
    })


def _all_records(request) -> list[dict] | None:
    code = request.GET.get("city")
    if code:
        city = public.public_city(code)
        return None if city is None else public.directory(city=city)
    return [r for city in public.public_cities() for r in public.directory(city=city)]


def _open_record(request, record: dict) -> dict:
    out = {k: v for k, v in record.items() if k not in INTERNAL}
    out["url"] = sign.public_url(request, record["id"])
    return out


@_public
def canteens_json(request):
    records = _all_records(request)
    if records is None:
        return JsonResponse({"error": "UNKNOWN_CITY", "message": _("没有这个城市")}, status=404,
                            json_dumps_params={"ensure_ascii": False})
    body = json.dumps({"canteens": [_open_record(request, r) for r in records]}, ensure_ascii=False)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


CSV_COLUMNS = [
    ("id", "编号"), ("name", "名称"), ("type", "建设类型"), ("city", "城市"), ("district", "区县"),
    ("subdistrict", "街道乡镇"), ("address", "地址"), ("phone", "联系电话"), ("latitude", "纬度"),
    ("longitude", "经度"), ("hours", "供餐时间"), ("menu", "今日菜单"), ("benefits", "老年人优惠"),
    ("open_to_public", "对社会开放"), ("priority_window", "惠老优先窗口"), ("reserved_tables", "爱心餐桌"),
    ("online_ordering", "线上点单"), ("home_delivery", "送餐上门"), ("delivery_coverage", "送餐覆盖社区"),
    ("public_info", "公开信息"), ("service_promises", "服务承诺"), ("filing_number", "备案编号"),
    ("status", "定点状态"), ("designated_on", "定点日期"), ("recheck_due", "年度复核到期日"),
    ("agreement_start", "服务协议起始日期"), ("agreement_end", "服务协议终止日期"), ("url", "网址"),
]


def _cell(key: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "hours":
        return "；".join(f"{h['period']} {h['start']}–{h['end']}" for h in value)
    if key == "menu":
        return "；".join(f"{m['name']} {m['price']}元" for m in value)
    if key == "benefits":
        return "；".join(f"{b['title']}：{b['who']}；{'；'.join(b['rules'])}；{b['limits']}" for b in value)
    if key == "delivery_coverage":
        return "、".join(value)
    return str(value)


@_public
def canteens_csv(request):
    records = _all_records(request)
    if records is None:
        return HttpResponse(_("没有这个城市"), status=404, content_type="text/plain; charset=utf-8")
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 as such only with the byte-order mark
    writer = csv.writer(out)
    writer.writerow([label for _key, label in CSV_COLUMNS])
    for record in records:
        row = _open_record(request, record)
        writer.writerow([_cell(key, row.get(key)) for key, _label in CSV_COLUMNS])
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="canteens.csv"'
    return response


@_public
def canteen_sign(request, canteen_id: int):
    size = request.GET.get("size", "A4").upper()
    if size not in sign.SIZES:
        return HttpResponseBadRequest(_("纸张尺寸只能是 A4 或 A3"), content_type="text/plain; charset=utf-8")
    record = _record_or_404(canteen_id)
    pdf = sign.sign_pdf_cached(request, record, size=size)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="sign-{canteen_id}-{size}.pdf"'
    return response
