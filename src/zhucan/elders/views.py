"""Console views of the elder registry: thin — parse the form, call a service or selector."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhucan.accounts.gate import requires
from zhucan.accounts.permissions import has_perm
from zhucan.core import clock
from zhucan.core.audit import CountedRows, audit_export
from zhucan.core.auditread import readable
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.http import add_domain_error, client_ip, paginate
from zhucan.core.models import AuditLog
from zhucan.core.xlsx import xlsx_bytes, xlsx_response
from zhucan.elders import selectors, services
from zhucan.elders.forms import DietForm, ElderForm, VerifyForm
from zhucan.elders.models import ElderStatus, Tag, Verification, full_years
from zhucan.regions.models import Level
from zhucan.regions.selectors import region_choices


def _filters(request) -> dict:
    g = request.GET
    region = g.get("region", "")
    return {
        "q": g.get("q", ""),
        "region_id": int(region) if region.isdigit() else None,
        "status": g.get("status", ""),
        "verification": g.get("verification", ""),
        "tag": g.get("tag", ""),
    }


@requires("elder", "view")
def elder_list(request):
    filters = _filters(request)
    qs = selectors.elder_list(user=request.user, **filters).prefetch_related("tags")
    page, query = paginate(request, qs)
    today = clock.local_today()
    for elder in page:
        elder.age = elder.age_on(today)
    return render(request, "elders/list.html", {
        "page": page, "query": query, "filters": filters,
        "regions": region_choices(user=request.user, levels=(Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY)),
        "statuses": ElderStatus.choices, "verifications": Verification.choices, "tags": Tag.objects.all(),
        "can_create": has_perm(request.user, "elder", "create"),
        "can_import": has_perm(request.user, "elder", "import"),
    })


EXPORT_HEADERS = ["姓名", "身份证号", "性别", "出生日期", "年龄", "联系电话", "居住地址", "所属街道", "所属社区",
                  "户籍区县", "市民卡号", "标签", "状态", "资格核查"]


@requires("elder", "export")
def elder_export(request):
    """The filtered list as .xlsx. ID and card numbers stay masked for everyone; phone and address are
    in full only for the roles that contact elders (who may also reveal them on screen), masked for
    the others. The export's audit row says which."""
    filters = _filters(request)
    qs = selectors.elder_list(user=request.user, action="export", **filters).select_related(
        "hukou_district").prefetch_related("tags")
    full_contact = has_perm(request.user, "elder", "reveal_id")
    cards = selectors.active_card_masks(qs)
    today = clock.local_today()
    rows = CountedRows(
        [e.name, e.id_number_masked, e.get_sex_display(), e.birth_date, e.age_on(today),
         e.phone if full_contact else e.phone_masked, e.address if full_contact else e.address_masked,
         e.community.parent.name, e.community.name,
         e.hukou_district.name if e.hukou_district else e.hukou_note, cards.get(e.pk, ""),
         "、".join(t.name for t in e.tags.all()), e.get_status_display(), e.get_verification_display()]
        for e in qs.iterator(chunk_size=2000)
    )
    content = xlsx_bytes(sheet="老年人档案", headers=EXPORT_HEADERS, rows=rows)
    audit_export(actor=request.user, what="elder", filters={**filters, "full_contact": full_contact},
                 rows=rows.count, ip=client_ip(request))
    return xlsx_response(f"老年人档案-{today:%Y%m%d}.xlsx", content)


def _data_from(form) -> services.ElderData:
    d = form.cleaned_data
    return services.ElderData(
        name=d["name"], id_number=d.get("id_number") or "", community=d["community"],
        phone=d.get("phone") or "", address=d.get("address") or "", hukou_district=d.get("hukou_district"),
        hukou_note=d.get("hukou_note") or "", citizen_card_number=d.get("citizen_card_number") or None,
        tag_codes=tuple(t.code for t in d.get("tags") or ()), status=d["status"],
        status_since=d.get("status_since"),
    )


@requires("elder", "create")
def elder_create(request):
    form = ElderForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            elder = services.elder_register(actor=request.user, data=_data_from(form), ip=client_ip(request))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已新建老人档案：%(name)s") % {"name": elder.name})
            return redirect("elders:detail", elder_id=elder.pk)
    return render(request, "elders/form.html", {"form": form, "creating": True})


@requires("elder", "change")
def elder_edit(request, elder_id: int):
    elder = selectors.elder_get(user=request.user, elder_id=elder_id, action="change")
    initial = {
        "name": elder.name, "community": elder.community,
        "hukou_district": elder.hukou_district, "hukou_note": elder.hukou_note, "tags": list(elder.tags.all()),
        "status": elder.status, "status_since": elder.status_since,
    }
    form = ElderForm(request.POST or None, initial=initial, user=request.user, editing=True)
    if request.method == "POST" and form.is_valid():
        data = _data_from(form)
        data.phone = data.phone or elder.phone  # blank keeps the stored value (never sent to the form)
        data.address = data.address or elder.address
        try:
            services.elder_update(actor=request.user, elder_id=elder.pk, data=data,
                                  ip=client_ip(request))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("elders:detail", elder_id=elder.pk)
    return render(request, "elders/form.html", {"form": form, "elder": elder, "creating": False})


@requires("elder", "view")
def elder_detail(request, elder_id: int):
    elder = selectors.elder_get(user=request.user, elder_id=elder_id)
    history = readable(AuditLog.objects.filter(object_type="elders.elder", object_id=str(elder.pk))[:20])
    return render(request, "elders/detail.html", {
        "elder": elder, "age": elder.age_on(clock.local_today()), "history": history,
        "verify_form": VerifyForm(),
        "diet_form": DietForm(initial={"diet_notes": elder.diet_notes, "allergies": elder.allergies}),
        "can_change": has_perm(request.user, "elder", "change"),
        "can_verify": has_perm(request.user, "elder", "verify"),
        "can_reveal": has_perm(request.user, "elder", "reveal_id") and elder.erased_at is None,
        "can_audit": has_perm(request.user, "audit", "view"),
    })


_REVEAL_TARGETS = {"id_number": "id-number", "phone": "elder-phone", "address": "elder-address"}


@require_POST
@requires("elder", "reveal_id")
def elder_reveal(request, elder_id: int, field: str):
    """HTMX: replaces a masked value (ID number, phone, address) with the full one; the look is audited."""
    if field not in _REVEAL_TARGETS:
        raise NotFound("项目", "field")
    value = services.elder_reveal(actor=request.user, elder_id=elder_id, field=field, ip=client_ip(request))
    return HttpResponse(format_html('<span class="mono" id="{}">{}</span> <span class="muted">{}</span>',
                                    _REVEAL_TARGETS[field], value, _("（已记录查看）")))


def elder_reveal_id(request, elder_id: int):
    return elder_reveal(request, elder_id, "id_number")


@require_POST
@requires("elder", "change")
def elder_diet(request, elder_id: int):
    form = DietForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("饮食要求填写不正确"))
        return redirect("elders:detail", elder_id=elder_id)
    try:
        services.elder_set_diet(actor=request.user, elder_id=elder_id, notes=form.cleaned_data["diet_notes"],
                                allergies=form.cleaned_data["allergies"], ip=client_ip(request))
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, _("饮食要求已保存"))
    return redirect("elders:detail", elder_id=elder_id)


@require_POST
@requires("elder", "verify")
def elder_verify(request, elder_id: int):
    selectors.elder_get(user=request.user, elder_id=elder_id, action="verify")  # not yours → 404
    form = VerifyForm(request.POST)
    if form.is_valid():
        try:
            services.elder_verify(actor=request.user, elder_id=elder_id,
                                  approve=form.cleaned_data["decision"] == "approve",
                                  reason=form.cleaned_data["reason"], ip=client_ip(request))
        except DomainError as exc:
            messages.error(request, exc.message_zh)
        else:
            messages.success(request, _("资格核查结果已保存"))
    return redirect("elders:detail", elder_id=elder_id)


@require_POST
@requires("elder", "create")
def elder_check_id(request):
    """HTMX inline check of an ID number as it is typed: the derived birth date or the error."""
    raw = request.POST.get("id_number", "")
    if not raw.strip():
        return HttpResponse("")
    try:
        _number, birth_date, sex = services.id_number_check(raw)
    except DomainError as exc:
        return HttpResponse(format_html('<span class="errorlist">{}</span>', exc.message_zh))
    age = full_years(birth_date, clock.local_today())
    sex_label = _("男") if sex == "M" else _("女")
    return HttpResponse(format_html('<span class="badge ok">✓ {} · {} · {}</span>',
                                    birth_date.isoformat(), sex_label, _("%(age)s周岁") % {"age": age}))
