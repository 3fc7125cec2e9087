"""The audit log as people read it: action names, field labels, local time, names instead of ids,
values formatted (yuan, 是/否, dates), technical details set apart.

Generic over the models: the row's `object_type` names its model, whose fields give the labels,
the choices, and which values are references to other rows. Names are resolved in bulk — one
query per referenced model for a whole page — so a page of fifty rows costs a handful of queries.
Elders are named by their masked name only.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import camel_case_to_spaces
from django.utils.translation import gettext as _

from zhucan.core import clock
from zhucan.core.audit_actions import action_label
from zhucan.core.money import fen_to_yuan
from zhucan.core.sealed import mask_name

# Models whose rows are people under care: shown by their masked name, and so are their names.
MASKED_MODELS = {"elders.elder"}
# Keys that are technical (hashes, keys, raw ids): kept for the details fold, not the change list.
TECHNICAL = ("hash", "digest", "sha", "kid", "key", "nonce", "idempotency", "signature", "token", "_id")
# Labels for keys that are not model fields (export and read rows, service extras).
EXTRA_LABELS = {
    "elder": ("老人", "Elder"), "account": ("手机账号", "Phone account"), "canteen": ("助餐点", "Canteen"),
    "bound_by": ("绑定人", "Bound by"), "bound_at": ("绑定时间", "Bound at"), "revoked_by": ("解除人", "Revoked by"),
    "revoked_at": ("解除时间", "Revoked at"), "granted_at": ("同意时间", "Consented at"),
    "withdrawn_at": ("撤回时间", "Withdrawn at"), "expires_at": ("有效期至", "Valid until"),
    "submitted_at": ("提交时间", "Submitted at"), "decided_at": ("决定时间", "Decided at"),
    "checks": ("自动核验结果", "Automatic checks"), "evidence": ("备案材料", "Evidence"),
    "scope": ("同意范围", "Scope"), "keep_photo": ("保留登记照片", "Keep the photo"),
    "photo_kept": ("保留登记照片", "Photo kept"), "replaced": ("替换原有人脸", "Replaced"),
    "in_1_n_index": ("纳入刷脸比对库", "In the 1:N index"), "source": ("采集方式", "Source"),
    "identify_enabled": ("开启刷脸识别", "Face identification on"), "identify_scope": ("刷脸识别范围", "Scope"),
    "card_code_factor": ("长者卡码核验方式", "Card code check"), "phone_masked": ("手机号", "Phone"),
    "relation": ("关系", "Relation"), "display_name": ("称呼", "Name"), "reason": ("原因", "Reason"),
    "rows": ("导出行数", "Rows"), "filters": ("筛选条件", "Filters"), "field": ("查看内容", "Viewed"),
    "on": ("生效日期", "Effective date"), "phone": ("联系电话", "Phone"), "address": ("居住地址", "Address"),
    "citizen_card_number": ("市民卡号", "Citizen card"), "passed": ("是否通过", "Passed"),
    "software": ("终端软件", "Software"), "count": ("数量", "Count"), "year": ("年度", "Year"),
}
# Stored codes a person reads as words (values of the keys above that are not model choices).
VALUE_LABELS = {
    "photo": ("核对照片", "photo check"), "pin": ("就餐密码", "PIN"), "none": ("无需核验", "none"),
    "district": ("本区", "the district"), "city": ("全市", "the city"), "subdistrict": ("本街道", "the subdistrict"),
    "staff_upload": ("工作人员上传照片", "uploaded by staff"), "camera": ("现场拍摄", "camera"),
    "identify_1_n": ("刷脸识别（1:N）", "1:N identification"), "verify_1_1": ("刷脸核验（1:1）", "1:1 verification"),
    "passed": ("通过", "passed"), "declared": ("已申报", "declared"), "failed": ("未通过", "failed"),
    "pending": ("待审核", "pending"),
}
# Keys a reader needs no more than the technical fold gives.
TECHNICAL_KEYS = {"model", "text_version", "software", "request_digest", "idempotency_key"}
# Object types whose model has no Chinese name of its own.
OBJECT_LABELS = {"filing.filingitem": ("备案事项", "Filing item"), "filing.evidence": ("备案材料", "Evidence"),
                 "funds.operatingreward": ("运营奖补", "Operating reward"),
                 "filing.terminalcapabilities": ("终端功能", "Terminal capabilities"),
                 "filing.terminaltest": ("终端测试", "Terminal test"),
                 "funds.constructionsubsidy": ("建设补贴", "Construction subsidy")}
REVEAL_FIELDS = {"id_number": ("身份证号", "ID number"), "phone": ("联系电话", "phone"),
                 "address": ("居住地址", "address")}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Record:
    row: object
    at: datetime
    actor: str
    action: str
    object_type: str
    object_name: str
    changes: list[Change] = field(default_factory=list)
    note: str = ""
    technical: list[tuple[str, str]] = field(default_factory=list)


def _english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "").startswith("en")


def _pick(pair: tuple[str, str]) -> str:
    return pair[1] if _english() else pair[0]


def _model(label: str):
    try:
        return apps.get_model(label) if label and "." in label else None
    except (LookupError, ValueError):
        return None


def _field(model, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _is_technical(key: str) -> bool:
    return key in TECHNICAL_KEYS or any(part in key.lower() for part in TECHNICAL)


def _label(model, key: str) -> str:
    f = _field(model, key)
    verbose = str(getattr(f, "verbose_name", "") or "")
    if f is not None and verbose and verbose != key.replace("_", " "):
        return verbose.replace("（分）", "").replace("(分)", "")
    if key in EXTRA_LABELS:
        return _pick(EXTRA_LABELS[key])
    if key.endswith("_fen"):
        return key.removesuffix("_fen").replace("_", " ") + _("（元）")
    if key.endswith("_at"):
        return _("时间（%(what)s）") % {"what": key.removesuffix("_at").replace("_", " ")}
    return key.replace("_", " ")


class _Names:
    """Collect (model label, pk) wants across a page, then fetch each model's names in one query."""

    def __init__(self) -> None:
        self.wanted: dict[str, set[str]] = defaultdict(set)
        self.found: dict[tuple[str, str], str] = {}
        self._codes: dict[str, dict[str, str]] = {}

    def want(self, label: str, pk) -> None:
        if pk not in (None, ""):
            self.wanted[label].add(str(pk))

    def load(self) -> None:
        for label, pks in self.wanted.items():
            model = _model(label)
            if model is None:
                continue
            pk_field = model._meta.pk
            keys = []
            for pk in pks:
                try:
                    keys.append(pk_field.to_python(pk))
                except Exception:
                    continue
            for obj in model._default_manager.filter(pk__in=keys):
                self.found[(label, str(obj.pk))] = _display(label, obj)

    def name(self, label: str, pk) -> str | None:
        return self.found.get((label, str(pk)))

    def codes(self, model) -> dict[str, str]:
        """A small reference table (tags) by code, read once per page."""
        label = model._meta.label_lower
        if label not in self._codes:
            rows = list(model._default_manager.all()[:500])
            self._codes[label] = {str(getattr(o, "code", o.pk)): str(o) for o in rows}
        return self._codes[label]


def _display(label: str, obj) -> str:
    if label in MASKED_MODELS:
        return mask_name(getattr(obj, "name", "") or "")
    return str(obj)


def _format_time(value: str) -> str | None:
    try:
        if len(value) == 10:
            return date.fromisoformat(value).strftime("%Y-%m-%d")
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _format(model_label: str, model, key: str, value, names: _Names) -> str:
    if value is None or value == "" or value == []:
        return "—"
    f = _field(model, key)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if f is not None and f.is_relation and not f.many_to_many:
        related = f.related_model._meta.label_lower
        return names.name(related, value) or _("（已删除，编号 %(pk)s）") % {"pk": value}
    if f is not None and f.many_to_many and isinstance(value, list):
        lookup = names.codes(f.related_model)
        return "、".join(lookup.get(str(v), str(v)) for v in value) or "—"
    if f is not None and getattr(f, "flatchoices", None):
        choices = {str(k): str(v) for k, v in f.flatchoices}
        if str(value) in choices:
            return choices[str(value)]
    if key.endswith("_fen") and isinstance(value, int):
        return fen_to_yuan(value) + _(" 元")
    if model_label in MASKED_MODELS and key == "name" and isinstance(value, str):
        return mask_name(value)
    if key == "field" and isinstance(value, str) and value in REVEAL_FIELDS:
        return _pick(REVEAL_FIELDS[value])
    if isinstance(value, str) and len(value) >= 10 and value[:4].isdigit() and value[4:5] == "-":
        formatted = _format_time(value)
        if formatted:
            return formatted
    if isinstance(value, str) and value in VALUE_LABELS:
        return _pick(VALUE_LABELS[value])
    if isinstance(value, list):
        return "、".join(_pick(VALUE_LABELS[v]) if isinstance(v, str) and v in VALUE_LABELS else str(v)
                        for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_pick(VALUE_LABELS[v]) if isinstance(v, str) and v in VALUE_LABELS else v}"
                        for k, v in value.items()) or "—"
    return str(value)


def _pairs(row) -> list[tuple[str, object, object]]:
    before, after = row.before or {}, row.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    keys = list(dict.fromkeys([*after.keys(), *before.keys()]))
    return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


def readable(rows) -> list[Record]:
    """The rows (AuditLog, any iterable) as Records, with every name resolved in bulk."""
    rows = list(rows)
    names = _Names()
    user_label = get_user_model()._meta.label_lower
    for row in rows:
        if row.actor_id:
            names.want(user_label, row.actor_id)
        if row.object_type and row.object_id:
            names.want(row.object_type, row.object_id)
        model = _model(row.object_type)
        for key, old, new in _pairs(row):
            f = _field(model, key)
            if f is not None and f.is_relation and not f.many_to_many:
                related = f.related_model._meta.label_lower
                names.want(related, old)
                names.want(related, new)
    names.load()

    out = []
    for row in rows:
        model = _model(row.object_type)
        actor = names.name(user_label, row.actor_id) if row.actor_id else None
        if actor is None:
            actor = row.actor_repr if row.actor_repr not in ("", "system") else _("系统")
        obj_name = names.name(row.object_type, row.object_id) if row.object_id else None
        if obj_name is None:
            repr_ = row.object_repr or ""
            obj_name = mask_name(repr_.split("（")[0]) if row.object_type in MASKED_MODELS else repr_
        changes, technical = [], [(_("操作代码"), row.action)]
        if row.object_type:
            technical.append((_("对象类型"), row.object_type))
        if row.object_id:
            technical.append((_("对象编号"), row.object_id))
        if row.ip:
            technical.append((_("IP 地址"), row.ip))
        created = row.before is None
        for key, old, new in _pairs(row):
            if created and new in (None, "", [], {}):
                continue  # a new record: what was filled in, not every empty field
            if _is_technical(key):
                technical.append((key, json.dumps({"before": old, "after": new}, ensure_ascii=False)
                                  if old is not None else json.dumps(new, ensure_ascii=False)))
                continue
            changes.append(Change(_label(model, key),
                                  _format(row.object_type, model, key, old, names) if old is not None else "",
                                  _format(row.object_type, model, key, new, names)))
        if row.before or row.after:
            raw = {"before": row.before, "after": row.after}
            if row.object_type in MASKED_MODELS:  # the raw record names the elder masked too
                raw = {k: ({**v, "name": mask_name(str(v["name"]))} if isinstance(v, dict) and v.get("name") else v)
                       for k, v in raw.items()}
            technical.append((_("原始记录"), json.dumps(raw, ensure_ascii=False, sort_keys=True)))
        if row.object_type in OBJECT_LABELS:
            type_label = _pick(OBJECT_LABELS[row.object_type])
        elif model is not None and str(model._meta.verbose_name) != camel_case_to_spaces(model.__name__):
            type_label = str(model._meta.verbose_name)
        else:
            type_label = ""
        out.append(Record(row=row, at=clock.local_now() if row.at is None else row.at.astimezone(clock.LOCAL_TZ),
                          actor=actor, action=action_label(row.action), object_type=type_label,
                          object_name=obj_name, changes=changes, note=row.note, technical=technical))
    return out
