"""Writes of ratings and complaints: one transaction each with its audit row inside.

Ratings (issue #18 item 1): one per meal in the ledger, only a sale the elder had that was not voided
or refunded, within RATING_WINDOW_DAYS of the meal; by the elder or a bound family member on the
phone page, or recorded by community staff. Complaints (item 2): received from the phone page, the
public canteen page (anonymous with a contact number) or staff taking a call; assigned by the
district, answered by the canteen, closed by the district with the complainant's satisfaction;
overdue ones are escalated to the city by `complaints_escalate` (a periodic task)."""

from __future__ import annotations

import re
import secrets
from types import SimpleNamespace

from django.db import IntegrityError, transaction

from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import get_scoped
from zhucan.canteens.models import Canteen
from zhucan.checkout.models import Meal, MealKind
from zhucan.core import clock
from zhucan.core.audit import audit_record, snapshot
from zhucan.core.errors import DomainError, PermissionDenied
from zhucan.core.sealed import phone_index
from zhucan.core.text import require_storable
from zhucan.elders.models import Elder
from zhucan.evaluation import deadlines
from zhucan.evaluation.errors import evaluation_error
from zhucan.evaluation.models import (
    CONTACT_CONTEXT,
    DIMENSIONS,
    Channel,
    Complaint,
    ComplaintKind,
    Rating,
    RatingSource,
    Satisfaction,
    Status,
)

RATING_WINDOW_DAYS = 7  # a meal can be rated for a week: long enough for a family member's visit
COMMENT_LIMIT = 200
TEXT_LIMIT = 1000
DIMENSION_LABELS = {"taste": "口味", "portion": "分量", "hygiene": "卫生", "service": "服务"}
# Preset phrases: an elder taps them instead of typing (适老化).
PHRASES = ["饭菜可口", "分量足", "干净卫生", "服务热情", "价格实惠", "偏咸", "偏油", "饭菜偏凉", "分量偏少", "排队太久"]
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out over the phone
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
RATING_AUDITED = ["meal", "canteen", "taste", "portion", "hygiene", "service", "phrases", "source"]
COMPLAINT_AUDITED = ["code", "kind", "channel", "canteen", "district", "status", "answer_due", "close_due",
                     "satisfaction", "escalated_at"]


def _phone_actor(account) -> SimpleNamespace:
    """How a phone user appears in the audit log (not a console user), as elderphone writes it."""
    return SimpleNamespace(pk=None, username=f"h5:{account.phone_masked}")


# ---------------------------------------------------------------------------------------------
# Ratings


def _scores(scores: dict) -> dict[str, int]:
    out = {}
    for name in DIMENSIONS:
        raw = scores.get(name)
        if raw in (None, ""):
            raise evaluation_error("RATING_SCORE_MISSING", field=name, label=DIMENSION_LABELS[name])
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= 5:
            raise evaluation_error("RATING_SCORE_RANGE", field=name, label=DIMENSION_LABELS[name])
        out[name] = value
    return out


def _phrases_and_comment(phrases, comment: str) -> tuple[list[str], str]:
    chosen = list(dict.fromkeys(p for p in (phrases or []) if p))
    if any(p not in PHRASES for p in chosen):
        raise evaluation_error("RATING_PHRASE_UNKNOWN", field="phrases")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LIMIT:
        raise evaluation_error("RATING_COMMENT_TOO_LONG", field="comment", limit=COMMENT_LIMIT)
    require_storable(comment, field="comment")
    return [p for p in PHRASES if p in chosen], comment


def _rate(*, meal_id, elder: Elder, values: dict, source: str, account=None, recorded_by=None,
          audit_actor, ip: str | None) -> Rating:
    scores = _scores(values)
    phrases, comment = _phrases_and_comment(values.get("phrases"), values.get("comment", ""))
    now = clock.now()
    try:
        with transaction.atomic():
            # The meal's row is locked: two taps (or the elder and a daughter at once) rate it once.
            meal = (Meal.objects.select_for_update().select_related("canteen__region")
                    .filter(pk=meal_id, elder=elder, kind=MealKind.SALE).first())
            if meal is None:
                raise evaluation_error("RATING_MEAL_NOT_FOUND")
            earlier = Rating.objects.filter(meal=meal).first()
            if earlier is not None:
                raise evaluation_error("RATING_ALREADY_RATED", date=f"{clock.local_date(earlier.rated_at):%m月%d日}")
            reversal = Meal.objects.filter(reverses=meal).only("kind").first()
            if reversal is not None:
                refunded = reversal.kind == MealKind.REFUND
                raise evaluation_error("RATING_MEAL_REVERSED", how="退款" if refunded else "撤销",
                                       how_en="refunded" if refunded else "voided")
            if (clock.local_date(now) - meal.local_date).days > RATING_WINDOW_DAYS:
                raise evaluation_error("RATING_TOO_OLD", days=RATING_WINDOW_DAYS, date=f"{meal.local_date:%m月%d日}")
            rating = Rating.objects.create(meal=meal, elder=elder, canteen=meal.canteen, meal_date=meal.local_date,
                                           phrases=phrases, comment=comment, source=source, account=account,
                                           recorded_by=recorded_by, rated_at=now, **scores)
            audit_record(actor=audit_actor, action="evaluation.rate", obj=rating, region_path=meal.canteen.region.path,
                         object_repr=f"{meal.canteen.name} {meal.local_date:%Y-%m-%d} {meal.receipt_no}",
                         after=snapshot(rating, RATING_AUDITED), ip=ip)
    except IntegrityError as exc:  # the unique meal, when two requests passed the check together
        raise evaluation_error("RATING_ALREADY_RATED", date=f"{clock.local_date(now):%m月%d日}") from exc
    return rating


def rating_submit(*, account, elder: Elder, meal_id: int, values: dict, ip: str | None = None) -> Rating:
    """The elder, or a family member bound to the elder, rates one of the elder's meals on the phone
    page. The caller has checked the binding (elderphone.selectors.account_elder)."""
    return _rate(meal_id=meal_id, elder=elder, values=values, source=RatingSource.PHONE, account=account,
                 audit_actor=_phone_actor(account), ip=ip)


def rating_record(*, actor, elder_id: int, meal_id: int, values: dict, ip: str | None = None) -> Rating:
    """Community staff record a rating gathered in person or by phone, for an elder in their
    jurisdiction (the elder's registry scope)."""
    if not has_perm(actor, "rating", "record"):
        raise PermissionDenied("代录评价", "record ratings")
    elder = get_scoped(Elder.objects.all(), actor, "view", what_zh="老人", what_en="elder", pk=elder_id)
    return _rate(meal_id=meal_id, elder=elder, values=values, source=RatingSource.STAFF, recorded_by=actor,
                 audit_actor=actor, ip=ip)


# ---------------------------------------------------------------------------------------------
# Complaints: receipt


def _contact(raw: str, *, required: bool) -> str:
    value = re.sub(r"[\s()（）]", "", raw or "")
    if value.startswith("+86"):
        value = value[3:]
    if not value:
        if required:
            raise evaluation_error("COMPLAINT_PHONE_MISSING", field="contact_phone")
        return ""
    if not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise evaluation_error("COMPLAINT_PHONE_INVALID", field="contact_phone")
    return value


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if not Complaint.objects.filter(code=code).exists():
            return code


def complaint_submit(*, channel: str, canteen: Canteen | None, kind: str, text: str, contact_phone: str = "",
                     contact_name: str = "", elder: Elder | None = None, account=None, actor=None,
                     ip: str | None = None) -> Complaint:
    """Receive a complaint or suggestion (投诉建议) about a canteen: from the phone page (`account`,
    for a bound `elder`; the account's number is the contact), the public canteen page (anonymous,
    a contact number required) or staff taking a call (`actor`, who may see the canteen). The
    deadlines are fixed now; the complainant keeps the receipt code to follow it."""
    if channel == Channel.STAFF:
        if actor is None or not has_perm(actor, "complaint", "record"):
            raise PermissionDenied("登记投诉建议", "record complaints")
        if canteen is not None:
            canteen = get_scoped(Canteen.objects.all(), actor, "view", what_zh="助餐点", what_en="canteen",
                                 pk=canteen.pk)
    if canteen is None:
        raise evaluation_error("COMPLAINT_CANTEEN", field="canteen")
    if kind not in ComplaintKind.values:
        raise evaluation_error("COMPLAINT_KIND", field="kind")
    text = (text or "").strip()
    if not text:
        raise evaluation_error("COMPLAINT_TEXT_MISSING", field="text")
    if len(text) > TEXT_LIMIT:
        raise evaluation_error("COMPLAINT_TEXT_TOO_LONG", field="text", limit=TEXT_LIMIT)
    require_storable([text, contact_name], field="text")
    if channel == Channel.PHONE and not contact_phone:
        contact_phone = account.phone
    phone = _contact(contact_phone, required=channel != Channel.STAFF or elder is None)
    district = canteen.region.district
    now = clock.now()
    days = deadlines.working_days()
    with transaction.atomic():
        complaint = Complaint(code=_new_code(), kind=kind, channel=channel, canteen=canteen, district=district,
                              elder=elder, account=account, contact_name=(contact_name or "").strip()[:40],
                              text=text, received_at=now, received_by=actor if channel == Channel.STAFF else None,
                              answer_due=deadlines.due_after(now, days["answer"]),
                              close_due=deadlines.due_after(now, days["close"]))
        complaint.contact_phone = phone
        complaint.save()
        who = actor if channel == Channel.STAFF else (
            _phone_actor(account) if account is not None else SimpleNamespace(pk=None, username="public"))
        audit_record(actor=who, action="evaluation.complaint_receive", obj=complaint, region_path=canteen.region.path,
                     object_repr=f"{complaint.code} {canteen.name}",
                     after={**snapshot(complaint, COMPLAINT_AUDITED), "contact": complaint.contact_masked}, ip=ip)
    return complaint


# ---------------------------------------------------------------------------------------------
# Complaints: the lifecycle


def _locked(actor, complaint_id: int, action: str) -> Complaint:
    if not has_perm(actor, "complaint", action):
        raise PermissionDenied()
    complaint = get_scoped(Complaint.objects.all(), actor, "view", what_zh="投诉建议", what_en="complaint",
                           pk=complaint_id)
    return Complaint.objects.select_for_update().select_related("canteen__region").get(pk=complaint.pk)


def _expect(complaint: Complaint, status: str, action_zh: str, action_en: str) -> None:
    if complaint.status != status:
        raise evaluation_error("COMPLAINT_WRONG_STATUS", status=complaint.get_status_display(), action=action_zh,
                               action_en=action_en)


def complaint_assign(*, actor, complaint_id: int, canteen_id: int | None = None, note: str = "",
                     ip: str | None = None) -> Complaint:
    """The district assigns a received case to the canteen (another canteen of its own jurisdiction
    when the complainant named the wrong one) with its instructions."""
    require_storable(note, field="note")
    with transaction.atomic():
        complaint = _locked(actor, complaint_id, "assign")
        _expect(complaint, Status.RECEIVED, "转办", "assign")
        before = snapshot(complaint, COMPLAINT_AUDITED)
        if canteen_id and canteen_id != complaint.canteen_id:
            canteen = get_scoped(Canteen.objects.select_related("region"), actor, "view", what_zh="助餐点",
                                 what_en="canteen", pk=canteen_id)
            complaint.canteen, complaint.district = canteen, canteen.region.district
        complaint.status, complaint.assigned_at, complaint.assigned_by = Status.ASSIGNED, clock.now(), actor
        complaint.assign_note = (note or "").strip()[:500]
        complaint.save()
        audit_record(actor=actor, action="evaluation.complaint_assign", obj=complaint,
                     region_path=complaint.canteen.region.path, before=before,
                     after=snapshot(complaint, COMPLAINT_AUDITED), note=complaint.assign_note, ip=ip)
    return complaint


def complaint_answer(*, actor, complaint_id: int, answer: str, ip: str | None = None) -> Complaint:
    """The canteen answers a case assigned to it."""
    answer = (answer or "").strip()
    with transaction.atomic():
        complaint = _locked(actor, complaint_id, "answer")
        _expect(complaint, Status.ASSIGNED, "答复", "answer")
        if not answer:
            raise evaluation_error("COMPLAINT_ANSWER_MISSING", field="answer")
        if len(answer) > TEXT_LIMIT:
            raise evaluation_error("COMPLAINT_TEXT_TOO_LONG", field="answer", limit=TEXT_LIMIT)
        require_storable(answer, field="answer")
        before = snapshot(complaint, COMPLAINT_AUDITED)
        complaint.status, complaint.answer = Status.ANSWERED, answer
        complaint.answered_at, complaint.answered_by = clock.now(), actor
        complaint.save()
        audit_record(actor=actor, action="evaluation.complaint_answer", obj=complaint,
                     region_path=complaint.canteen.region.path, before=before,
                     after=snapshot(complaint, COMPLAINT_AUDITED), ip=ip)
    return complaint


def complaint_close(*, actor, complaint_id: int, satisfaction: str, note: str = "",
                    ip: str | None = None) -> Complaint:
    """The district closes an answered case, recording the complainant's satisfaction with the
    answer (asked by a return call)."""
    with transaction.atomic():
        complaint = _locked(actor, complaint_id, "close")
        _expect(complaint, Status.ANSWERED, "办结", "close")
        if satisfaction not in Satisfaction.values:
            raise evaluation_error("COMPLAINT_SATISFACTION", field="satisfaction")
        require_storable(note, field="note")
        before = snapshot(complaint, COMPLAINT_AUDITED)
        complaint.status, complaint.satisfaction = Status.CLOSED, satisfaction
        complaint.close_note = (note or "").strip()[:500]
        complaint.closed_at, complaint.closed_by = clock.now(), actor
        complaint.save()
        audit_record(actor=actor, action="evaluation.complaint_close", obj=complaint,
                     region_path=complaint.canteen.region.path, before=before,
                     after=snapshot(complaint, COMPLAINT_AUDITED), note=complaint.close_note, ip=ip)
    return complaint


def complaints_escalate() -> int:
    """Escalate to the city every open case past a deadline: not answered by `answer_due`, or not
    closed by `close_due`. Each case is escalated once (the city's list shows it until closed).
    Returns how many were escalated now; idempotent."""
    now = clock.now()
    count = 0
    overdue = (Complaint.objects.filter(escalated_at__isnull=True).exclude(status=Status.CLOSED)
               .filter(close_due__lt=now) | Complaint.objects.filter(
                   escalated_at__isnull=True, status__in=[Status.RECEIVED, Status.ASSIGNED], answer_due__lt=now))
    for pk in overdue.values_list("pk", flat=True).distinct():
        with transaction.atomic():
            complaint = (Complaint.objects.select_for_update().select_related("canteen__region")
                         .filter(pk=pk, escalated_at__isnull=True).first())
            if complaint is None:
                continue
            answered = complaint.status in (Status.ANSWERED, Status.CLOSED)
            complaint.escalated_at = now
            complaint.escalated_reason = "逾期未办结" if answered else "逾期未答复"
            complaint.save(update_fields=["escalated_at", "escalated_reason"])
            audit_record(actor=None, action="evaluation.complaint_escalate", obj=complaint,
                         region_path=complaint.canteen.region.path, after=snapshot(complaint, COMPLAINT_AUDITED),
                         note=complaint.escalated_reason)
            count += 1
    return count


def complaint_lookup(*, code: str, phone: str) -> Complaint:
    """An anonymous complainant follows their case by its receipt code and contact number; a wrong
    code and a wrong number answer alike."""
    code = (code or "").strip().upper()
    try:
        number = _contact(phone, required=True)
    except DomainError as exc:
        raise evaluation_error("COMPLAINT_NOT_FOUND") from exc
    complaint = (Complaint.objects.select_related("canteen")
                 .filter(code=code, contact_phone_index=phone_index(number, purpose=CONTACT_CONTEXT)).first())
    if complaint is None:
        raise evaluation_error("COMPLAINT_NOT_FOUND")
    return complaint

