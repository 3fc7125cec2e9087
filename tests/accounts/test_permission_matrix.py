"""The permission matrix: every console URL × every role × own vs other jurisdiction.

The EXPECTED table below is the specification, derived from `zhucan.accounts.permissions` and from
the scoping rule ("a district administrator never sees another district's elders; 'not found' and
'not yours' answer alike"). Each cell is `own/other` (or one value for both sides):

  own    the actor is `world.users[role]` (西湖区 side, canteen 北山长者食堂; city = 杭州市);
  other  the actor is `world.other[role]` (上城区 side, canteen 湖滨长者食堂; city = 聊城市).
  In both cases the target object is the 西湖区 one (world.elder, world.canteen, its dish, the
  北山 staff user), so "other" means: the same request made from across the boundary.

Outcomes:
  ok       allowed: the page shows the 西湖区 object / the change happened and an audit row with
           this actor was written in the same request.
  hidden   allowed (200), but the 西湖区 object is not in the list / export / tree.
  404      refused as "not found", byte-for-byte the same page as for an id that does not exist;
           nothing changed.
  refused  the form is shown again with an error (the target place is outside the actor's
           jurisdiction); nothing changed.
  403      the role may not do this at all (Chinese "无权访问" page); nothing changed.
  allowed  200, with no assertion about what is shown (see the region tree note below).
  moved    302 to the page the role uses most (its landing page, console/landing.py); nothing changed.

"Nothing changed" compares every row (all fields) of Elder (and its tags), Canteen, MealPeriod,
Dish, User and AuditLog before and after the request, and of the identification media (citizen
cards, card codes and their revocations, PINs, code handles, canteen identity settings, face
consents, enrolments, canteen face settings and index numbers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.conftest import login

ROLES = ["city_admin", "district_admin", "subdistrict_staff", "canteen_manager", "cashier", "auditor"]

# Region tree for canteen staff: permissions.py lets them view regions, but scoping.restrict gives
# canteen roles no region rows at all (Scope canteen_field=None); the issue does not say what they
# should see there, so the table only requires the page to open ("allowed").
EXPECTED_TABLE = """
# view            city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
elder_list        ok/hidden    ok/hidden       ok/hidden          403              403        ok/hidden
elder_detail      ok/404       ok/404          ok/404             403              403        ok/404
elder_create      ok/refused   ok/refused      ok/refused         403              403        403
elder_edit        ok/404       ok/404          ok/404             403              403        403
elder_export      ok/hidden    ok/hidden       ok/hidden          403              403        ok/hidden
elder_verify      403          ok/404          ok/404             403              403        403
elder_reveal_id   403          ok/404          ok/404             403              403        403
elder_reveal_phone 403         ok/404          ok/404             403              403        403
elder_erase       ok/404       ok/404          ok/404             403              403        403
elder_check_id    ok           ok              ok                 403              403        403
elder_diet        ok/404       ok/404          ok/404             403              403        403
canteen_list      ok/hidden    ok/hidden       ok/hidden          ok/hidden        ok/hidden  ok/hidden
canteen_detail    ok/404       ok/404          ok/404             ok/404           ok/404     ok/404
canteen_create    ok/refused   ok/refused      403                403              403        403
canteen_edit      ok/404       ok/404          403                ok/404           403        403
canteen_export    ok/hidden    ok/hidden       ok/hidden          ok/hidden        403        ok/hidden
canteen_periods   ok/404       ok/404          403                ok/404           403        403
dish_create       ok/404       ok/404          403                ok/404           403        403
dish_edit         ok/404       ok/404          403                ok/404           403        403
user_list         ok/hidden    ok/hidden       403                403              403        ok/hidden
user_create       ok/refused   ok/refused      403                403              403        403
user_edit         ok/404       ok/404          403                403              403        403
user_export       ok/hidden    ok/hidden       403                403              403        ok/hidden
region_tree       ok/hidden    ok/hidden       ok/hidden          allowed          allowed    ok/hidden
audit_list        ok/hidden    ok/hidden       403                403              403        ok/hidden
home              moved        moved           moved              moved            moved      moved
workbench         ok           ok              ok                 ok               ok         ok
"""

# Identification media: the elder's card, printed card code, PIN and face data are changed
# by whoever may change the elder (elder/change, in jurisdiction); a canteen's card-code factor by
# whoever may change the canteen; 1:N face identification by district or city administrators.
MEDIA_TABLE = """
# view                    city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
card_bind                 ok/404       ok/404          ok/404             403              403        403
card_report_lost          ok/404       ok/404          ok/404             403              403        403
card_replace              ok/404       ok/404          ok/404             403              403        403
card_code_issue           ok/404       ok/404          ok/404             403              403        403
card_code_revoke          ok/404       ok/404          ok/404             403              403        403
pin_set                   ok/404       ok/404          ok/404             403              403        403
canteen_card_code_factor  ok/404       ok/404          403                ok/404           403        403
face_consent_record       ok/404       ok/404          ok/404             403              403        403
face_consent_withdraw     ok/404       ok/404          ok/404             403              403        403
face_enrol                ok/404       ok/404          ok/404             403              403        403
face_enrolment_delete     ok/404       ok/404          ok/404             403              403        403
face_canteen_setting      ok/404       ok/404          403                403              403        403
"""


def _parse_table(text: str) -> dict[str, dict[str, tuple[str, str]]]:
    table: dict[str, dict[str, tuple[str, str]]] = {}
    for line in text.strip().splitlines():
        if line.startswith("#"):
            continue
        view, *cells = line.split()
        assert len(cells) == len(ROLES), line
        table[view] = {}
        for role, cell in zip(ROLES, cells, strict=True):
            own, _, other = cell.partition("/")
            table[view][role] = (own, other or own)
    return table


# The elder phone page's accounts (zhucan.elderphone): bound to an elder, and revoked, by whoever may
# change the elder (elder/change, in jurisdiction), from the elder's page.
PHONE_TABLE = """
# view                    city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
phone_bind                ok/404       ok/404          ok/404             403              403        403
phone_revoke              ok/404       ok/404          ok/404             403              403        403
"""

EXPECTED = {**_parse_table(EXPECTED_TABLE), **_parse_table(MEDIA_TABLE), **_parse_table(PHONE_TABLE)}
MISSING = 987654  # an id no row has

# --- how each view is requested, and what "ok" means for it ---------------------------------------


@dataclass(frozen=True)
class View:
    method: str
    url: Callable  # (world) -> url of the 西湖区 object
    missing_url: Callable | None = None  # same URL with ids that do not exist (404 comparison)
    data: Callable | None = None  # (world) -> POST body
    marker: Callable | None = None  # (world) -> text that shows the 西湖区 object
    export: bool = False
    audit_action: str | None = None  # the audit row an allowed write must leave
    effect: Callable | None = None  # (world, actor, response) -> extra assertions for "ok"


def _elder_form(w, **changes):
    data = {"name": w.elder.name, "id_number": "", "phone": "", "address": "", "community": w.xihu_c1.pk,
            "hukou_district": "", "hukou_note": "", "citizen_card_number": "", "status": "active",
            "status_since": ""}
    data.update(changes)
    return data


def _new_elder_number():
    from datetime import date

    from zhucan.core.idnumber import make_id_number

    return make_id_number("330106", date(1950, 5, 1), 377, "M")


def _canteen_form(w, **changes):
    c = w.canteen
    data = {"name": c.name, "operator": c.operator, "credit_code": c.credit_code, "food_licence": c.food_licence,
            "canteen_type": c.canteen_type, "area": c.area, "region": c.region_id, "address": c.address,
            "phone": c.phone, "seats": c.seats, "floor_area_m2": str(c.floor_area_m2), "opening_date": "",
            "status": c.status, "public_info": c.public_info, "service_promises": c.service_promises}
    data.update(changes)
    return data


def _periods_form(**changes):
    data = {"breakfast_start": "06:30", "breakfast_end": "08:30", "lunch_start": "10:30", "lunch_end": "12:30",
            "dinner_start": "16:30", "dinner_end": "18:30"}
    data.update(changes)
    return data


def _redirects_to(response, pattern: str) -> None:
    assert response.status_code == 302, response.status_code
    assert re.fullmatch(pattern, response["Location"]), response["Location"]


def _effect_elder_create(w, actor, response):
    from zhucan.elders.models import Elder

    elder = Elder.objects.get(name="王建国")
    _redirects_to(response, rf"/elders/{elder.pk}/")
    assert elder.community_id == w.xihu_c1.pk
    assert elder.id_number_masked == "330106********" + _new_elder_number()[-4:]


def _effect_elder_edit(w, actor, response):
    _redirects_to(response, rf"/elders/{w.elder.pk}/")
    w.elder.refresh_from_db()
    assert (w.elder.name, w.elder.phone) == ("张秀英", "13800001111")


def _effect_elder_verify(w, actor, response):
    _redirects_to(response, rf"/elders/{w.elder.pk}/")
    w.elder.refresh_from_db()
    assert (w.elder.verification, w.elder.verified_by_id) == ("verified", actor.pk)


def _effect_reveal(w, actor, response):
    assert response.status_code == 200
    assert w.elder.plain_id_number in response.content.decode()


def _effect_reveal_phone(w, actor, response):
    assert response.status_code == 200
    assert w.elder.phone and w.elder.phone in response.content.decode()


def _effect_erase(w, actor, response):
    from zhucan.elders.models import Elder

    assert response.status_code == 302, response.status_code
    elder = Elder.objects.get(pk=w.elder.pk)
    assert elder.erased_at is not None and elder.name != w.elder.name and elder.phone == ""


def _effect_check_id(w, actor, response):
    assert response.status_code == 200
    assert "校验" in response.content.decode()


def _effect_canteen_create(w, actor, response):
    from zhucan.canteens.models import Canteen

    canteen = Canteen.objects.get(name="西溪长者食堂")
    _redirects_to(response, rf"/canteens/{canteen.pk}/")
    assert canteen.periods.count() == 3  # HZ-7 standard periods


def _effect_canteen_edit(w, actor, response):
    _redirects_to(response, rf"/canteens/{w.canteen.pk}/")
    w.canteen.refresh_from_db()
    assert (w.canteen.phone, w.canteen.public_info) == ("0571-88880000", "每日公示菜谱")


def _effect_periods(w, actor, response):
    from datetime import time

    _redirects_to(response, rf"/canteens/{w.canteen.pk}/")
    lunch = w.canteen.periods.get(name="lunch")
    assert (lunch.start, lunch.end) == (time(11, 0), time(13, 0))


def _effect_dish_create(w, actor, response):
    _redirects_to(response, rf"/canteens/{w.canteen.pk}/")
    assert w.canteen.dishes.get(name="清蒸鲈鱼").price_fen == 1500


def _effect_dish_edit(w, actor, response):
    _redirects_to(response, rf"/canteens/{w.canteen.pk}/")
    w.dish.refresh_from_db()
    assert w.dish.price_fen == 1350


def _effect_user_create(w, actor, response):
    from zhucan.accounts.models import User

    _redirects_to(response, r"/accounts/users/")
    new = User.objects.get(username="xixi_staff")
    assert (new.role, new.region_id) == ("subdistrict_staff", w.xihu_sub2.pk)


def _effect_user_edit(w, actor, response):
    _redirects_to(response, r"/accounts/users/")
    target = w.users["subdistrict_staff"]
    target.refresh_from_db()
    assert target.display_name == "北山街道 王芳"


# --- identification media ---------------------------------------------------------------

MEDIA_CARD = "330100123456789012"
MEDIA_NEW_CARD = "330100999988887777"


def _media_photo():
    """A real face photo (scikit-image's astronaut) as an upload; the bytes are made once."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    global _MEDIA_PHOTO
    if _MEDIA_PHOTO is None:
        from zhucan.face import samples

        _MEDIA_PHOTO = samples.to_bytes(samples.photo("astronaut"), "JPEG", 90)
    return SimpleUploadedFile("elder.jpg", _MEDIA_PHOTO, content_type="image/jpeg")


_MEDIA_PHOTO = None


def _media_with_card(w):
    from tests.conftest import _system_user
    from zhucan.identity.services import card_bind

    w.card = card_bind(actor=_system_user(), elder_id=w.elder.pk, number=MEDIA_CARD)


def _media_with_card_code(w):
    from tests.conftest import _system_user
    from zhucan.identity.services import card_code_issue

    card_code_issue(actor=_system_user(), elder_id=w.elder.pk)


def _media_with_consent(scope):
    def setup(w):
        from tests.conftest import _system_user
        from zhucan.face.services import face_consent_record

        face_consent_record(actor=_system_user(), elder_id=w.elder.pk, scope=scope, text_version="face-2025-06-v1")

    return setup


def _media_with_enrolment(w):
    """A consent and an enrolment with a synthetic embedding (no photo needs processing here)."""
    import numpy as np

    from zhucan.core import clock
    from zhucan.face import index
    from zhucan.face.models import FaceEnrolment

    _media_with_consent("verify_1_1")(w)
    vector = np.random.default_rng(5).normal(0, 0.09, 128).astype(np.float32)
    FaceEnrolment.objects.create(elder=w.elder, embedding_encrypted=index.seal_embedding(vector), model_name="m",
                                 model_version="v", source="staff_upload", enrolled_at=clock.now())


# What must exist before the request (made before the "nothing changed" snapshot).
MEDIA_SETUP: dict[str, Callable] = {
    "card_report_lost": _media_with_card,
    "card_replace": _media_with_card,
    "card_code_revoke": _media_with_card_code,
    "face_consent_withdraw": _media_with_consent("identify_1_n"),
    "face_enrol": _media_with_consent("verify_1_1"),
    "face_enrolment_delete": _media_with_enrolment,
}


def _effect_card_bind(w, actor, response):
    from zhucan.identity.models import CitizenCard

    _redirects_to(response, rf"/elders/{w.elder.pk}/#identity-card")
    card = CitizenCard.objects.get(elder=w.elder, status="active")
    assert (card.number_masked, card.issued_by_id) == ("3301**********9012", actor.pk)


def _effect_card_report_lost(w, actor, response):
    _redirects_to(response, rf"/elders/{w.elder.pk}/#identity-card")
    w.card.refresh_from_db()
    assert (w.card.status, w.card.reported_lost_by_id) == ("lost", actor.pk)


def _effect_card_replace(w, actor, response):
    _redirects_to(response, rf"/elders/{w.elder.pk}/#identity-card")
    w.card.refresh_from_db()
    assert w.card.status == "replaced" and w.card.replaced_by.status == "active"
    assert w.card.replaced_by.issued_by_id == actor.pk


def _effect_card_code_issue(w, actor, response):
    from zhucan.identity.models import CardCode

    assert response.status_code == 200, response.status_code
    assert "data:image/png;base64," in response.content.decode()
    assert CardCode.objects.get(elder=w.elder).issued_by_id == actor.pk


def _effect_card_code_revoke(w, actor, response):
    from zhucan.identity.models import CardCodeRevocation

    _redirects_to(response, rf"/elders/{w.elder.pk}/#identity-card-code")
    assert CardCodeRevocation.objects.get(card_code__elder=w.elder).revoked_by_id == actor.pk


def _effect_pin_set(w, actor, response):
    from zhucan.identity.services import verify_card_code_pin

    _redirects_to(response, rf"/elders/{w.elder.pk}/#identity-card-code")
    verify_card_code_pin(elder=w.elder, pin="2468")


def _effect_canteen_factor(w, actor, response):
    from zhucan.identity.services import canteen_card_code_factor

    _redirects_to(response, rf"/canteens/{w.canteen.pk}/#identity-canteen")
    assert canteen_card_code_factor(w.canteen) == "pin"


def _effect_face_consent_record(w, actor, response):
    from zhucan.face.models import FaceConsent

    _redirects_to(response, rf"/elders/{w.elder.pk}/#face")
    consent = FaceConsent.objects.get(elder=w.elder)
    assert (consent.scope, consent.text_version, consent.granted_by_id) == ("verify_1_1", "face-2025-06-v1", actor.pk)


def _effect_face_consent_withdraw(w, actor, response):
    from zhucan.face.models import FaceConsent

    _redirects_to(response, rf"/elders/{w.elder.pk}/#face")
    assert FaceConsent.objects.get(elder=w.elder).withdrawn_by_id == actor.pk


def _effect_face_enrol(w, actor, response):
    from zhucan.face.models import FaceEnrolment

    _redirects_to(response, rf"/elders/{w.elder.pk}/#face")
    assert FaceEnrolment.objects.get(elder=w.elder).enrolled_by_id == actor.pk


def _effect_face_enrolment_delete(w, actor, response):
    from zhucan.face.models import FaceEnrolment

    _redirects_to(response, rf"/elders/{w.elder.pk}/#face")
    assert not FaceEnrolment.objects.filter(elder=w.elder).exists()


def _effect_face_canteen_setting(w, actor, response):
    from zhucan.face.models import FaceCanteenSetting

    _redirects_to(response, rf"/canteens/{w.canteen.pk}/#identity-canteen")
    setting = FaceCanteenSetting.objects.get(canteen=w.canteen)
    assert (setting.identify_enabled, setting.identify_scope, setting.updated_by_id) == (True, "district", actor.pk)


def _elder_url(tail: str):
    return (lambda w: f"/identity/elders/{w.elder.pk}/{tail}"), (lambda w: f"/identity/elders/{MISSING}/{tail}")


def _card_url(tail: str):
    return ((lambda w: f"/identity/elders/{w.elder.pk}/cards/{w.card.pk}/{tail}"),
            (lambda w: f"/identity/elders/{MISSING}/cards/{MISSING}/{tail}"))


def _face_url(tail: str):
    return (lambda w: f"/face/elders/{w.elder.pk}/{tail}"), (lambda w: f"/face/elders/{MISSING}/{tail}")


MEDIA_VIEWS: dict[str, View] = {
    "card_bind": View("POST", *_elder_url("card/bind/"), data=lambda w: {"number": MEDIA_CARD},
                      audit_action="identity.card_bind", effect=_effect_card_bind),
    "card_report_lost": View("POST", *_card_url("report-lost/"), data=lambda w: {},
                             audit_action="identity.card_report_lost", effect=_effect_card_report_lost),
    "card_replace": View("POST", *_card_url("replace/"), data=lambda w: {"new_number": MEDIA_NEW_CARD},
                         audit_action="identity.card_replace", effect=_effect_card_replace),
    "card_code_issue": View("POST", *_elder_url("card-code/"), data=lambda w: {},
                            audit_action="identity.card_code_issue", effect=_effect_card_code_issue),
    "card_code_revoke": View("POST", *_elder_url("card-code/revoke/"), data=lambda w: {},
                             audit_action="identity.card_code_revoke", effect=_effect_card_code_revoke),
    "pin_set": View("POST", *_elder_url("pin/"), data=lambda w: {"pin": "2468", "pin_again": "2468"},
                    audit_action="identity.pin_set", effect=_effect_pin_set),
    "canteen_card_code_factor": View("POST", lambda w: f"/identity/canteens/{w.canteen.pk}/card-code-factor/",
                                     lambda w: f"/identity/canteens/{MISSING}/card-code-factor/",
                                     data=lambda w: {"factor": "pin"}, audit_action="identity.canteen_factor_set",
                                     effect=_effect_canteen_factor),
    "face_consent_record": View("POST", *_face_url("consent/"),
                                data=lambda w: {"scope": "verify_1_1", "text_version": "face-2025-06-v1",
                                                "agreed": "on"},
                                audit_action="face.consent.grant", effect=_effect_face_consent_record),
    "face_consent_withdraw": View("POST", *_face_url("consent/withdraw/"), data=lambda w: {"scope": "identify_1_n"},
                                  audit_action="face.consent.withdraw", effect=_effect_face_consent_withdraw),
    "face_enrol": View("POST", *_face_url("enrol/"), data=lambda w: {"photo": _media_photo()},
                       audit_action="face.enrol", effect=_effect_face_enrol),
    "face_enrolment_delete": View("POST", *_face_url("enrolment/delete/"), data=lambda w: {},
                                  audit_action="face.enrolment.delete", effect=_effect_face_enrolment_delete),
    "face_canteen_setting": View("POST", lambda w: f"/face/canteens/{w.canteen.pk}/identify/",
                                 lambda w: f"/face/canteens/{MISSING}/identify/",
                                 data=lambda w: {"identify_enabled": "on", "identify_scope": "district"},
                                 audit_action="face.canteen_setting", effect=_effect_face_canteen_setting),
}


VIEWS: dict[str, View] = {
    "elder_list": View("GET", lambda w: "/elders/", marker=lambda w: w.elder.name),
    "elder_detail": View("GET", lambda w: f"/elders/{w.elder.pk}/", lambda w: f"/elders/{MISSING}/",
                         marker=lambda w: w.elder.id_number_masked),
    "elder_create": View("POST", lambda w: "/elders/new/",
                         data=lambda w: _elder_form(w, name="王建国", id_number=_new_elder_number()),
                         audit_action="elder.create", effect=_effect_elder_create),
    "elder_edit": View("POST", lambda w: f"/elders/{w.elder.pk}/edit/", lambda w: f"/elders/{MISSING}/edit/",
                       data=lambda w: _elder_form(w, phone="13800001111"),
                       audit_action="elder.update", effect=_effect_elder_edit),
    "elder_export": View("GET", lambda w: "/elders/export.xlsx", marker=lambda w: w.elder.name, export=True,
                         audit_action="elder.export"),
    "elder_verify": View("POST", lambda w: f"/elders/{w.elder.pk}/verify/", lambda w: f"/elders/{MISSING}/verify/",
                         data=lambda w: {"decision": "approve", "reason": ""},
                         audit_action="elder.verify", effect=_effect_elder_verify),
    "elder_reveal_id": View("POST", lambda w: f"/elders/{w.elder.pk}/reveal-id/",
                            lambda w: f"/elders/{MISSING}/reveal-id/", data=lambda w: {},
                            audit_action="elder.reveal_id", effect=_effect_reveal),
    "elder_reveal_phone": View("POST", lambda w: f"/elders/{w.elder.pk}/reveal/phone/",
                               lambda w: f"/elders/{MISSING}/reveal/phone/", data=lambda w: {},
                               audit_action="elder.reveal_phone", effect=_effect_reveal_phone),
    "elder_erase": View("POST", lambda w: f"/elders/{w.elder.pk}/erase/", lambda w: f"/elders/{MISSING}/erase/",
                        data=lambda w: {"reason": "本人申请退出", "confirm_name": w.elder.name},
                        audit_action="elder.erase", effect=_effect_erase),
    # A wrong check digit: the inline HTMX check answers with the Chinese error and writes nothing.
    "elder_check_id": View("POST", lambda w: "/elders/check-id/",
                           data=lambda w: {"id_number": w.elder.plain_id_number[:17]
                                           + ("0" if w.elder.plain_id_number[17] != "0" else "1")},
                           effect=_effect_check_id),
    "canteen_list": View("GET", lambda w: "/canteens/", marker=lambda w: w.canteen.name),
    "canteen_detail": View("GET", lambda w: f"/canteens/{w.canteen.pk}/", lambda w: f"/canteens/{MISSING}/",
                           marker=lambda w: w.canteen.address),
    "canteen_create": View("POST", lambda w: "/canteens/new/",
                           data=lambda w: _canteen_form(w, name="西溪长者食堂", region=w.xihu_sub2.pk,
                                                        address="西溪路1号"),
                           audit_action="canteen.create", effect=_effect_canteen_create),
    "canteen_edit": View("POST", lambda w: f"/canteens/{w.canteen.pk}/edit/",
                         lambda w: f"/canteens/{MISSING}/edit/",
                         data=lambda w: _canteen_form(w, phone="0571-88880000", public_info="每日公示菜谱"),
                         audit_action="canteen.update", effect=_effect_canteen_edit),
    "canteen_export": View("GET", lambda w: "/canteens/export.xlsx", marker=lambda w: w.canteen.name, export=True,
                           audit_action="canteen.export"),
    "canteen_periods": View("POST", lambda w: f"/canteens/{w.canteen.pk}/periods/",
                            lambda w: f"/canteens/{MISSING}/periods/",
                            data=lambda w: _periods_form(lunch_start="11:00", lunch_end="13:00"),
                            audit_action="canteen.periods", effect=_effect_periods),
    "dish_create": View("POST", lambda w: f"/canteens/{w.canteen.pk}/dishes/new/",
                        lambda w: f"/canteens/{MISSING}/dishes/new/",
                        data=lambda w: {"name": "清蒸鲈鱼", "category": "荤菜", "price": "15.00", "active": "on",
                                        "sort_order": "0"},
                        audit_action="dish.create", effect=_effect_dish_create),
    "dish_edit": View("POST", lambda w: f"/canteens/{w.canteen.pk}/dishes/{w.dish.pk}/edit/",
                      lambda w: f"/canteens/{MISSING}/dishes/{MISSING}/edit/",
                      data=lambda w: {"name": w.dish.name, "category": "荤菜", "price": "13.50", "active": "on",
                                      "sort_order": "0"},
                      audit_action="dish.update", effect=_effect_dish_edit),
    "user_list": View("GET", lambda w: "/accounts/users/", marker=lambda w: w.users["subdistrict_staff"].username),
    "user_create": View("POST", lambda w: "/accounts/users/new/",
                        data=lambda w: {"username": "xixi_staff", "display_name": "西溪街道 刘洋", "phone": "",
                                        "role": "subdistrict_staff", "region": w.xihu_sub2.pk, "canteen": "",
                                        "password": "Xixi-staff-2025!"},
                        audit_action="user.create", effect=_effect_user_create),
    "user_edit": View("POST", lambda w: f"/accounts/users/{w.users['subdistrict_staff'].pk}/edit/",
                      lambda w: f"/accounts/users/{MISSING}/edit/",
                      data=lambda w: {"display_name": "北山街道 王芳", "phone": "", "role": "subdistrict_staff",
                                      "region": w.xihu_sub.pk, "canteen": "", "is_active": "on"},
                      audit_action="user.update", effect=_effect_user_edit),
    "user_export": View("GET", lambda w: "/accounts/users/export.xlsx",
                        marker=lambda w: w.users["subdistrict_staff"].username, export=True,
                        audit_action="user.export"),
    "region_tree": View("GET", lambda w: "/regions/", marker=lambda w: w.xihu_sub.name),
    "audit_list": View("GET", lambda w: "/audit/", marker=lambda w: w.elder.name[0] + "*" + w.elder.name[-1]),
    "home": View("GET", lambda w: "/"),
    "workbench": View("GET", lambda w: "/workbench/"),
}
VIEWS.update(MEDIA_VIEWS)


# --- elder phone page accounts --------------------------------------------------------

PHONE_BOUND = "13900001111"  # a family phone bound to world.elder before the request (phone_revoke)
PHONE_NEW = "13900002222"


def _phone_with_binding(w):
    from tests.conftest import _system_user
    from zhucan.elderphone.services import binding_create

    w.phone_binding = binding_create(actor=_system_user(), elder_id=w.elder.pk, phone=PHONE_BOUND,
                                     relation="child", display_name="张晓东", notify=False).binding


def _effect_phone_bind(w, actor, response):
    from zhucan.elderphone.models import Binding
    from zhucan.elderphone.phones import phone_index

    _redirects_to(response, rf"/elders/{w.elder.pk}/")
    binding = Binding.objects.get(account__phone_index=phone_index(PHONE_NEW))
    assert (binding.elder_id, binding.relation, binding.bound_by_id) == (w.elder.pk, "self", actor.pk)


def _effect_phone_revoke(w, actor, response):
    _redirects_to(response, rf"/elders/{w.elder.pk}/")
    w.phone_binding.refresh_from_db()
    assert w.phone_binding.revoked_at is not None and w.phone_binding.revoked_by_id == actor.pk


PHONE_VIEWS: dict[str, View] = {
    "phone_bind": View("POST", lambda w: f"/elders/{w.elder.pk}/phone-accounts/bind/",
                       lambda w: f"/elders/{MISSING}/phone-accounts/bind/",
                       data=lambda w: {"phone": PHONE_NEW, "relation": "self", "display_name": ""},
                       audit_action="elderphone.bind", effect=_effect_phone_bind),
    "phone_revoke": View("POST", lambda w: f"/elders/{w.elder.pk}/phone-accounts/{w.phone_binding.pk}/revoke/",
                         lambda w: f"/elders/{MISSING}/phone-accounts/{MISSING}/revoke/", data=lambda w: {},
                         audit_action="elderphone.revoke", effect=_effect_phone_revoke),
}
VIEWS.update(PHONE_VIEWS)
MEDIA_SETUP["phone_revoke"] = _phone_with_binding  # made before the "nothing changed" snapshot


def _elder_with_phone(w):
    w.elder.phone = "13912345678"
    w.elder.save(update_fields=["phone_encrypted", "phone_index"])


MEDIA_SETUP["elder_reveal_phone"] = _elder_with_phone


# Designation and filing (HZ-8) at /filing/: the canteen's district selects, records the agreement,
# reviews, decides, suspends, reinstates, revokes and re-checks; the city sees all of its districts
# and may suspend or revoke; nobody else enters the officials' consoles (the canteen manager files
# through its own page).
FILING_TABLE = """
# view                    city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
filing_queue              ok/hidden    ok/hidden       403                403              403        403
filing_register           ok/hidden    ok/hidden       403                403              403        403
filing_register_export    ok/hidden    ok/hidden       403                403              403        403
filing_canteen            ok/404       ok/404          403                403              403        403
filing_select             403          ok/404          403                403              403        403
filing_agreement          403          ok/404          403                403              403        403
filing_review             ok/404       ok/404          403                403              403        403
filing_item_review        403          ok/404          403                403              403        403
filing_decide             403          ok/404          403                403              403        403
filing_suspend            ok/404       ok/404          403                403              403        403
filing_reinstate          403          ok/404          403                403              403        403
filing_revoke             ok/404       ok/404          403                403              403        403
filing_recheck            403          ok/404          403                403              403        403
filing_evidence           ok/404       ok/404          403                403              403        403
"""
EXPECTED.update(_parse_table(FILING_TABLE))


def _filing_to(stage: str):
    """Walk 北山长者食堂 through the real services to `stage` (made before the snapshot)."""

    def setup(w):
        from tests.filing.lifecycle_helpers import review_all, to_designated, to_filing, to_submitted
        from zhucan.filing.services import canteen_select, designation_suspend

        district, manager = w.users["district_admin"], w.users["canteen_manager"]
        # The shared fixture designates the canteen directly; the lifecycle starts undesignated.
        w.canteen.designated_spans.all().delete()
        if stage == "selected":
            canteen_select(actor=district, canteen=w.canteen)
        elif stage == "filing":
            to_filing(district, w.canteen)
        elif stage in ("submitted", "reviewed"):
            w.filing = to_submitted(district, manager, w.canteen)
            w.filing_item = w.filing.items.get(requirement="F3")
            w.filing_evidence = w.filing.items.get(requirement="F1").evidence.get()
            if stage == "reviewed":
                review_all(district, w.filing)
        else:
            to_designated(district, manager, w.canteen)
            if stage == "suspended":
                designation_suspend(actor=district, canteen=w.canteen, reason="检查不合格")

    return setup


def _effect_filing_stage(stage: str, action: str):
    def effect(w, actor, response):
        from zhucan.filing.models import Designation

        _redirects_to(response, rf"/filing/canteens/{w.canteen.pk}/")
        designation = Designation.objects.get(canteen=w.canteen)
        assert designation.stage == stage
        if action in ("select",):
            assert designation.selected_by_id == actor.pk

    return effect


def _effect_filing_item_review(w, actor, response):
    _redirects_to(response, rf"/filing/rounds/{w.filing.pk}/#item-{w.filing_item.pk}")
    w.filing_item.refresh_from_db()
    assert (w.filing_item.review, w.filing_item.reviewed_by_id) == ("passed", actor.pk)


def _effect_filing_recheck(w, actor, response):
    from zhucan.filing.models import Designation

    _redirects_to(response, rf"/filing/canteens/{w.canteen.pk}/")
    due = Designation.objects.get(canteen=w.canteen).recheck_due
    assert due.year == w.filing_recheck_due.year + 1


def _effect_filing_evidence(w, actor, response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def _with_recheck_due(w):
    from zhucan.filing.models import Designation

    _filing_to("designated")(w)
    w.filing_recheck_due = Designation.objects.get(canteen=w.canteen).recheck_due


def _canteen_url(tail: str):
    return ((lambda w: f"/filing/canteens/{w.canteen.pk}/{tail}"), (lambda w: f"/filing/canteens/{MISSING}/{tail}"))


def _reason(w):
    return {"reason": "依规处理", "on": ""}


FILING_VIEWS: dict[str, View] = {
    "filing_queue": View("GET", lambda w: "/filing/", marker=lambda w: w.canteen.name),
    "filing_register": View("GET", lambda w: "/filing/register/", marker=lambda w: w.canteen.name),
    "filing_register_export": View("GET", lambda w: "/filing/register/export.xlsx", marker=lambda w: w.canteen.name,
                                   export=True, audit_action="filing.register_export"),
    "filing_canteen": View("GET", *_canteen_url(""), marker=lambda w: "第1轮"),
    "filing_select": View("POST", *_canteen_url("select/"), data=lambda w: {"note": "场地达标"},
                          audit_action="filing.select", effect=_effect_filing_stage("selected", "select")),
    "filing_agreement": View("POST", *_canteen_url("agreement/"),
                             data=lambda w: {"number": "西民协-1", "party_a": "西湖区民政局", "party_b": "运营公司",
                                             "start_date": "2026-01-01", "end_date": "2028-12-31"},
                             audit_action="filing.agreement", effect=_effect_filing_stage("filing", "agreement")),
    "filing_review": View("GET", lambda w: f"/filing/rounds/{w.filing.pk}/", lambda w: f"/filing/rounds/{MISSING}/",
                          marker=lambda w: "依法登记并具备服务资质"),
    "filing_item_review": View("POST", lambda w: f"/filing/items/{w.filing_item.pk}/review/",
                               lambda w: f"/filing/items/{MISSING}/review/", data=lambda w: {"decision": "pass"},
                               audit_action="filing.review", effect=_effect_filing_item_review),
    "filing_decide": View("POST", lambda w: f"/filing/rounds/{w.filing.pk}/decide/",
                          lambda w: f"/filing/rounds/{MISSING}/decide/", data=lambda w: {"on": ""},
                          audit_action="filing.designate", effect=_effect_filing_stage("designated", "decide")),
    "filing_suspend": View("POST", *_canteen_url("suspend/"), data=_reason, audit_action="filing.suspend",
                           effect=_effect_filing_stage("suspended", "suspend")),
    "filing_reinstate": View("POST", *_canteen_url("reinstate/"), data=_reason, audit_action="filing.reinstate",
                             effect=_effect_filing_stage("designated", "reinstate")),
    "filing_revoke": View("POST", *_canteen_url("revoke/"), data=_reason, audit_action="filing.revoke",
                          effect=_effect_filing_stage("revoked", "revoke")),
    "filing_recheck": View("POST", *_canteen_url("recheck/"), data=lambda w: {"note": "复核合格"},
                           audit_action="filing.recheck", effect=_effect_filing_recheck),
    "filing_evidence": View("GET", lambda w: f"/filing/evidence/{w.filing_evidence.pk}/",
                            lambda w: f"/filing/evidence/{MISSING}/", effect=_effect_filing_evidence),
}
VIEWS.update(FILING_VIEWS)
MEDIA_SETUP.update({
    "filing_queue": _filing_to("submitted"),
    "filing_register": _filing_to("submitted"),
    "filing_register_export": _filing_to("submitted"),
    "filing_canteen": _filing_to("filing"),
    "filing_agreement": _filing_to("selected"),
    "filing_review": _filing_to("submitted"),
    "filing_item_review": _filing_to("submitted"),
    "filing_decide": _filing_to("reviewed"),
    "filing_suspend": _filing_to("designated"),
    "filing_reinstate": _filing_to("suspended"),
    "filing_revoke": _filing_to("designated"),
    "filing_recheck": _with_recheck_due,
    "filing_evidence": _filing_to("submitted"),
})

# Dashboards (HZ-10) at /dashboard/: officials and auditors over their jurisdiction, a canteen's
# manager over their own canteen; the elders not reached (and their export) for those who watch over
# residents. The 西湖区 object is 北山长者食堂's meal of yesterday, and a verified elder of 保俶社区
# who has not eaten (孙*来).
DASHBOARD_TABLE = """
# view                      city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
dashboard                   ok/hidden    ok/hidden       ok/hidden          ok/hidden        403        ok/hidden
dashboard_export            ok/hidden    ok/hidden       ok/hidden          ok/hidden        403        ok/hidden
dashboard_not_reached       ok/hidden    ok/hidden       ok/hidden          403              403        ok/hidden
dashboard_not_reached_export ok/hidden   ok/hidden       ok/hidden          403              403        ok/hidden
dashboard_live_json         ok           ok              ok                 ok               403        ok
dashboard_screen            ok           ok              ok                 ok               403        ok
dashboard_screen_json       ok           ok              ok                 ok               403        ok
"""
EXPECTED.update(_parse_table(DASHBOARD_TABLE))


def _with_meal_and_an_elder_not_reached(w):
    from datetime import datetime, time, timedelta

    from tests.conftest import _system_user, make_elder
    from zhucan.checkout.services import OrderLine, meal_commit
    from zhucan.core import clock
    from zhucan.elders.services import elder_verify

    yesterday = datetime.combine(clock.local_today() - timedelta(days=1), time(11, 30), tzinfo=clock.LOCAL_TZ)
    meal_commit(canteen=w.canteen, elder=w.elder, lines=[OrderLine(dish_id=w.dish.pk, quantity=1)],
                idempotency_key="matrix-meal", request_digest="matrix-meal", identified_by="card", at=yesterday)
    far = make_elder(w.xihu_c1, name="孙不来")
    elder_verify(actor=_system_user(), elder_id=far.pk, approve=True)


DASHBOARD_VIEWS: dict[str, View] = {
    "dashboard": View("GET", lambda w: "/dashboard/", marker=lambda w: w.canteen.name),
    "dashboard_export": View("GET", lambda w: "/dashboard/export/canteens.xlsx", marker=lambda w: w.canteen.name,
                             export=True, audit_action="dashboard.export"),
    "dashboard_not_reached": View("GET", lambda w: "/dashboard/not-reached/", marker=lambda w: "孙*来"),
    "dashboard_not_reached_export": View("GET", lambda w: "/dashboard/not-reached/export.xlsx",
                                         marker=lambda w: "保俶社区", export=True,
                                         audit_action="dashboard.not_reached.export"),
    "dashboard_live_json": View("GET", lambda w: "/dashboard/live.json"),
    "dashboard_screen": View("GET", lambda w: "/dashboard/screen/"),
    "dashboard_screen_json": View("GET", lambda w: "/dashboard/screen/data.json"),
}
VIEWS.update(DASHBOARD_VIEWS)
MEDIA_SETUP.update({name: _with_meal_and_an_elder_not_reached for name in DASHBOARD_VIEWS})

# Anomaly alerts (预警) at /alerts/: the city, the district and the subdistrict of the area read them
# (the auditor too); the district handles them (assign, investigate, close); the city alone tunes
# the rules' thresholds; canteen staff never see them. The handling steps after assignment, the
# snapshot and the detection button are checked role by role in tests/alerts/test_views.py.
ALERTS_TABLE = """
# view                    city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
alerts_list               ok/hidden    ok/hidden       ok/hidden          403              403        ok/hidden
alerts_detail             ok/404       ok/404          ok/404             403              403        ok/404
alerts_export             ok/hidden    ok/hidden       ok/hidden          403              403        ok/hidden
alerts_assign             403          ok/404          403                403              403        403
alerts_rules              ok           403             403                403              403        403
"""
EXPECTED.update(_parse_table(ALERTS_TABLE))
ALERT_TITLE = "北山长者食堂同一收银台撤销退款过多"


def _with_alert(w):
    from datetime import UTC, datetime

    from zhucan.alerts.services import alert_raise

    w.alert = alert_raise(rule="till.reversals", occurred_at=datetime(2026, 3, 9, 3, 0, tzinfo=UTC),
                          title=ALERT_TITLE, canteen=w.canteen, details={"撤销": "6笔"}, dedupe_key="matrix")


def _effect_alert_assign(w, actor, response):
    _redirects_to(response, rf"/alerts/{w.alert.pk}/")
    w.alert.refresh_from_db()
    assert (w.alert.status, w.alert.assignee_id, w.alert.assigned_by_id) == ("assigned", actor.pk, actor.pk)


ALERT_VIEWS: dict[str, View] = {
    "alerts_list": View("GET", lambda w: "/alerts/", marker=lambda w: ALERT_TITLE),
    "alerts_detail": View("GET", lambda w: f"/alerts/{w.alert.pk}/", lambda w: f"/alerts/{MISSING}/",
                          marker=lambda w: "6笔"),
    "alerts_export": View("GET", lambda w: "/alerts/export.xlsx", marker=lambda w: ALERT_TITLE, export=True,
                          audit_action="alerts.export"),
    "alerts_assign": View("POST", lambda w: f"/alerts/{w.alert.pk}/assign/", lambda w: f"/alerts/{MISSING}/assign/",
                          data=lambda w: {"assignee": str(w.users["district_admin"].pk)},
                          audit_action="alerts.assign", effect=_effect_alert_assign),
    "alerts_rules": View("GET", lambda w: "/alerts/rules/", marker=lambda w: "两个助餐点相距至少（米）"),
}
VIEWS.update(ALERT_VIEWS)
MEDIA_SETUP.update({name: _with_alert for name in ALERT_VIEWS})


# Elders' voice (issue #18) at /evaluation/: officials, the auditor and the canteen's manager read ratings
# and complaints in their jurisdiction (the cashier does not); community staff and the district record
# ratings and calls; the district assigns and closes a case, the canteen's manager answers it.
EVALUATION_TABLE = """
# view                        city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
evaluation_index              ok/hidden    ok/hidden       ok/hidden          ok/hidden        403        ok/hidden
evaluation_ratings            ok/hidden    ok/hidden       ok/hidden          ok/hidden        403        ok/hidden
evaluation_rating_export      ok/hidden    ok/hidden       ok/hidden          ok/hidden        403        ok/hidden
evaluation_rating_record      403          ok/404          ok/404             403              403        403
evaluation_complaints         ok/hidden    ok/hidden       ok/hidden          ok/hidden        403        ok/hidden
evaluation_complaint_export   ok/hidden    ok/hidden       ok/hidden          ok/hidden        403        ok/hidden
evaluation_complaint          ok/404       ok/404          ok/404             ok/404           403        ok/404
evaluation_complaint_new      403          ok/refused      ok/refused         403              403        403
evaluation_complaint_assign   403          ok/404          403                403              403        403
evaluation_complaint_answer   403          403             403                ok/404           403        403
evaluation_complaint_close    403          ok/404          403                403              403        403
evaluation_campaigns          ok/hidden    ok              ok                 ok               403        ok
evaluation_campaign           ok/404       ok              ok                 ok               403        ok
evaluation_campaign_nominate  403          ok/404          403                403              403        403
evaluation_campaign_publish   ok/404       403             403                403              403        403
"""
EXPECTED.update(_parse_table(EVALUATION_TABLE))


def _evaluation_to(status: str):
    """Two meals of world.elder at 北山 yesterday (the first rated by community staff) and a complaint
    about 北山 taken by phone, walked to `status` through the services."""
    def setup(w):
        from datetime import datetime, time, timedelta

        from tests.conftest import _system_user
        from zhucan.checkout.services import OrderLine, meal_commit
        from zhucan.core import clock
        from zhucan.evaluation import services as ev

        day = clock.local_today() - timedelta(days=1)
        meals = [meal_commit(canteen=w.canteen, elder=w.elder, lines=[OrderLine(dish_id=w.dish.pk, quantity=1)],
                             idempotency_key=f"ev{i}", request_digest=f"ev{i}", identified_by="card",
                             at=datetime.combine(day, time(11, 30 + i), clock.LOCAL_TZ)).meal for i in (0, 1)]
        w.eval_unrated = meals[1]
        system = _system_user()
        ev.rating_record(actor=system, elder_id=w.elder.pk, meal_id=meals[0].pk,
                         values={"taste": 5, "portion": 4, "hygiene": 5, "service": 5})
        w.complaint = ev.complaint_submit(channel="staff", canteen=w.canteen, kind="complaint", text="饭菜偏凉",
                                          contact_phone="13712345678", actor=system)
        if status in ("assigned", "answered"):
            ev.complaint_assign(actor=system, complaint_id=w.complaint.pk)
        if status == "answered":
            ev.complaint_answer(actor=system, complaint_id=w.complaint.pk, answer="已加装保温台")

    return setup


def _effect_complaint(status: str):
    def effect(w, actor, response):
        from zhucan.evaluation.models import Complaint

        _redirects_to(response, rf"/evaluation/complaints/{w.complaint.pk}/")
        assert Complaint.objects.get(pk=w.complaint.pk).status == status

    return effect


def _effect_rating_record(w, actor, response):
    from zhucan.evaluation.models import Rating

    _redirects_to(response, rf"/evaluation/ratings/record/\?elder={w.elder.pk}")
    assert Rating.objects.get(meal=w.eval_unrated).recorded_by_id == actor.pk


def _effect_complaint_new(w, actor, response):
    from zhucan.evaluation.models import Complaint

    new = Complaint.objects.exclude(pk=w.complaint.pk).get()
    _redirects_to(response, rf"/evaluation/complaints/{new.pk}/")
    assert (new.received_by_id, new.canteen_id, new.channel) == (actor.pk, w.canteen.pk, "staff")


_SCORES = {"taste": "4", "portion": "4", "hygiene": "5", "service": "5"}
EVALUATION_VIEWS: dict[str, View] = {
    "evaluation_index": View("GET", lambda w: "/evaluation/", marker=lambda w: w.complaint.code),
    "evaluation_ratings": View("GET", lambda w: "/evaluation/ratings/", marker=lambda w: "张*英"),
    "evaluation_rating_export": View("GET", lambda w: "/evaluation/ratings/export.xlsx", marker=lambda w: "张*英",
                                     export=True, audit_action="evaluation.ratings.export"),
    "evaluation_rating_record": View("POST", lambda w: f"/evaluation/ratings/record/?elder={w.elder.pk}",
                                     lambda w: f"/evaluation/ratings/record/?elder={MISSING}",
                                     data=lambda w: {"meal": w.eval_unrated.pk, **_SCORES},
                                     audit_action="evaluation.rate", effect=_effect_rating_record),
    "evaluation_complaints": View("GET", lambda w: "/evaluation/complaints/", marker=lambda w: w.complaint.code),
    "evaluation_complaint_export": View("GET", lambda w: "/evaluation/complaints/export.xlsx",
                                        marker=lambda w: w.complaint.code, export=True,
                                        audit_action="evaluation.complaints.export"),
    "evaluation_complaint": View("GET", lambda w: f"/evaluation/complaints/{w.complaint.pk}/",
                                 lambda w: f"/evaluation/complaints/{MISSING}/", marker=lambda w: "饭菜偏凉"),
    "evaluation_complaint_new": View("POST", lambda w: "/evaluation/complaints/new/",
                                     data=lambda w: {"canteen": w.canteen.pk, "kind": "suggestion", "text": "增加粥品",
                                                     "contact_phone": "13712340000"},
                                     audit_action="evaluation.complaint_receive", effect=_effect_complaint_new),
    "evaluation_complaint_assign": View("POST", lambda w: f"/evaluation/complaints/{w.complaint.pk}/assign/",
                                        lambda w: f"/evaluation/complaints/{MISSING}/assign/",
                                        data=lambda w: {"note": "请答复"}, audit_action="evaluation.complaint_assign",
                                        effect=_effect_complaint("assigned")),
    "evaluation_complaint_answer": View("POST", lambda w: f"/evaluation/complaints/{w.complaint.pk}/answer/",
                                        lambda w: f"/evaluation/complaints/{MISSING}/answer/",
                                        data=lambda w: {"answer": "已整改"}, audit_action="evaluation.complaint_answer",
                                        effect=_effect_complaint("answered")),
    "evaluation_complaint_close": View("POST", lambda w: f"/evaluation/complaints/{w.complaint.pk}/close/",
                                       lambda w: f"/evaluation/complaints/{MISSING}/close/",
                                       data=lambda w: {"satisfaction": "satisfied"},
                                       audit_action="evaluation.complaint_close", effect=_effect_complaint("closed")),
}


def _campaign_to(ended: bool):
    """杭州's campaign (the "other" side's city administrator is 聊城's; its district, community and
    canteen staff are 杭州's too, so they see it): open for nominations, or with its vote over."""
    def setup(w):
        from datetime import timedelta

        from zhucan.core import clock
        from zhucan.evaluation import campaigns

        now = clock.now()
        start, end = (now - timedelta(days=10), now - timedelta(days=1)) if ended else (now, now + timedelta(days=9))
        w.campaign = campaigns.campaign_create(
            actor=w.users["city_admin"], title="2026年度杭州市最满意老年食堂评选",
            period_start=clock.local_today().replace(day=1), period_end=clock.local_today(), assessment_year=2025,
            vote_start=start, vote_end=end, weight_ratings=40, weight_assessment=30, weight_votes=30)

    return setup


def _effect_campaign(w, actor, response):
    from zhucan.evaluation.models import Campaign, Nominee

    _redirects_to(response, rf"/evaluation/campaigns/{w.campaign.pk}/")
    if Campaign.objects.get(pk=w.campaign.pk).status != "published":
        assert Nominee.objects.get(campaign=w.campaign).canteen_id == w.canteen.pk


EVALUATION_VIEWS.update({
    "evaluation_campaigns": View("GET", lambda w: "/evaluation/campaigns/", marker=lambda w: w.campaign.title),
    "evaluation_campaign": View("GET", lambda w: f"/evaluation/campaigns/{w.campaign.pk}/",
                                lambda w: f"/evaluation/campaigns/{MISSING}/", marker=lambda w: w.campaign.title),
    "evaluation_campaign_nominate": View("POST", lambda w: f"/evaluation/campaigns/{w.campaign.pk}/nominate/",
                                         lambda w: f"/evaluation/campaigns/{MISSING}/nominate/",
                                         data=lambda w: {"canteen": w.canteen.pk}, audit_action="evaluation.nominate",
                                         effect=_effect_campaign),
    "evaluation_campaign_publish": View("POST", lambda w: f"/evaluation/campaigns/{w.campaign.pk}/publish/",
                                        lambda w: f"/evaluation/campaigns/{MISSING}/publish/",
                                        audit_action="evaluation.campaign_publish", effect=_effect_campaign),
})
VIEWS.update(EVALUATION_VIEWS)
MEDIA_SETUP.update({name: _evaluation_to("received") for name in EVALUATION_VIEWS})
MEDIA_SETUP["evaluation_complaint_answer"] = _evaluation_to("assigned")
MEDIA_SETUP["evaluation_complaint_close"] = _evaluation_to("answered")
MEDIA_SETUP.update({"evaluation_campaigns": _campaign_to(False), "evaluation_campaign": _campaign_to(False),
                    "evaluation_campaign_nominate": _campaign_to(False),
                    "evaluation_campaign_publish": _campaign_to(True)})
# The yearly assessment at /evaluation/assessments/ and the random inspections at /inspections/:
# officials and auditors of the jurisdiction see them; the canteen sees its own assessments; a plan
# hangs on the district, so subdistrict staff see only their own inspections (not asserted here).
SUPERVISION_TABLE = """
# view                    city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
assessment_index          ok/hidden    ok/hidden       ok/hidden          ok/hidden        403        ok/hidden
inspections_index         ok/hidden    ok/hidden       allowed            403              403        ok/hidden
"""
EXPECTED.update(_parse_table(SUPERVISION_TABLE))


def _with_assessment(w):
    from zhucan.assessment import services
    from zhucan.core import clock

    table = services.table_create_standard(actor=w.users["district_admin"], region_id=w.xihu.pk,
                                           year=clock.local_today().year - 1)
    services.assessment_open(actor=w.users["district_admin"], table_id=table.pk, canteen_id=w.canteen.pk)


def _with_plan(w):
    from zhucan.inspections import services

    services.plan_create(actor=w.users["district_admin"], region_id=w.xihu.pk, title="西湖区食品安全双随机检查",
                         categories=["food_hygiene"], proportion=30)


VIEWS.update({
    "assessment_index": View("GET", lambda w: "/evaluation/assessments/", marker=lambda w: w.canteen.name),
    "inspections_index": View("GET", lambda w: "/inspections/", marker=lambda w: "西湖区食品安全双随机检查"),
})
MEDIA_SETUP.update({"assessment_index": _with_assessment, "inspections_index": _with_plan})

# The video registry (HZ-F2, HZ-F8) at /video/devices/: the district and the canteen's manager register
# devices and channels; everyone in scope sees them, their health and playback checks; the city and
# the district run a playback check now.
VIDEO_TABLE = """
# view                    city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
video_list                ok/hidden    ok/hidden       ok/hidden          ok/hidden        403        ok/hidden
video_health              ok/hidden    ok/hidden       ok/hidden          ok/hidden        403        ok/hidden
video_device              ok/404       ok/404          ok/404             ok/404           403        ok/404
video_device_create       403          ok/404          403                ok/404           403        403
video_channel_create      403          ok/404          403                ok/404           403        403
video_channel             403          ok/404          403                ok/404           403        403
video_checks              ok/404       ok/404          ok/404             ok/404           403        ok/404
video_check_now           ok/404       ok/404          403                403              403        403
"""
EXPECTED.update(_parse_table(VIDEO_TABLE))

# Watching video (HZ-F2, HZ-F8) at /video/: the city and the districts, each within its jurisdiction
# (the dining area shows elders); the view log is read by them and the auditor. Opening a channel
# writes a viewing session and its audit row.
VIEWING_TABLE = """
# view                    city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
video_wall                ok/hidden    ok/hidden       403                403              403        403
video_canteen             ok/404       ok/404          403                403              403        403
video_open                ok/404       ok/404          403                403              403        403
video_log                 ok/hidden    ok/hidden       403                403              403        ok/hidden
"""
EXPECTED.update(_parse_table(VIEWING_TABLE))

# Ordering for an elder from the console (issue 17) at /orders/channel/: subdistrict and district
# staff on a phone call find elders of their jurisdiction; canteen staff only those of the
# communities their canteen serves (北山长者食堂 sits on a subdistrict and delivers nowhere: none).
# The order page and its cancellation need an order: tests/family/test_console_channel.py.
ORDER_CHANNEL_TABLE = """
# view                    city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
orderchannel_start        403          ok/hidden       ok/hidden          hidden           hidden     403
orderchannel_place        403          ok/404          ok/404             404              404        403
"""
EXPECTED.update(_parse_table(ORDER_CHANNEL_TABLE))
ORDER_CHANNEL_VIEWS: dict[str, View] = {
    "orderchannel_start": View("GET", lambda w: f"/orders/channel/new/?q={w.elder.name}",
                               marker=lambda w: f"/orders/channel/new/{w.elder.pk}/"),
    "orderchannel_place": View("GET", lambda w: f"/orders/channel/new/{w.elder.pk}/",
                               lambda w: f"/orders/channel/new/{MISSING}/", marker=lambda w: w.elder.name),
}
VIEWS.update(ORDER_CHANNEL_VIEWS)


def _video_setup(w):
    from zhucan.video.adapters import ProbeResult
    from zhucan.video.health import status_record
    from zhucan.video.services import channel_create, device_create

    w.video_device = device_create(actor=w.users["district_admin"], canteen_id=w.canteen.pk, values={
        "name": "后厨录像机", "access_mode": "hls", "address": "http://127.0.0.1:9"})
    w.video_channel = channel_create(actor=w.users["district_admin"], device_id=w.video_device.pk, values={
        "name": "烹饪间", "zone": "cooking", "public": True, "remote_id": "/live/cook.m3u8"})
    status_record(w.video_channel, ProbeResult(True, "直播正常", w.video_channel.created_at))


def _effect_redirect(w, actor, response):
    assert response.status_code == 302, response.status_code


VIDEO_VIEWS: dict[str, View] = {
    "video_list": View("GET", lambda w: "/video/devices/", marker=lambda w: "后厨录像机"),
    "video_health": View("GET", lambda w: "/video/devices/health/", marker=lambda w: w.canteen.name),
    "video_device": View("GET", lambda w: f"/video/devices/{w.video_device.pk}/",
                         lambda w: f"/video/devices/{MISSING}/", marker=lambda w: "烹饪间"),
    "video_device_create": View(
        "POST", lambda w: f"/video/devices/canteens/{w.canteen.pk}/new/",
        lambda w: f"/video/devices/canteens/{MISSING}/new/",
        data=lambda w: {"name": "新录像机", "access_mode": "hls", "address": "http://127.0.0.1:9", "active": "on"},
        audit_action="video.device.create", effect=_effect_redirect),
    "video_channel_create": View(
        "POST", lambda w: f"/video/devices/{w.video_device.pk}/channels/new/",
        lambda w: f"/video/devices/{MISSING}/channels/new/",
        data=lambda w: {"name": "洗消间", "zone": "washing", "public": "on", "remote_id": "/live/w.m3u8",
                        "active": "on"},
        audit_action="video.channel.create", effect=_effect_redirect),
    "video_channel": View(
        "POST", lambda w: f"/video/devices/channels/{w.video_channel.pk}/",
        lambda w: f"/video/devices/channels/{MISSING}/",
        data=lambda w: {"name": "烹饪间", "zone": "cooking", "remote_id": "/live/cook2.m3u8", "active": "on"},
        audit_action="video.channel.update", effect=_effect_redirect),
    "video_checks": View("GET", lambda w: f"/video/devices/canteens/{w.canteen.pk}/checks/",
                         lambda w: f"/video/devices/canteens/{MISSING}/checks/", marker=lambda w: w.canteen.name),
    "video_check_now": View("POST", lambda w: f"/video/devices/canteens/{w.canteen.pk}/checks/run/",
                            lambda w: f"/video/devices/canteens/{MISSING}/checks/run/",
                            audit_action="video.playback_check", effect=_effect_redirect),
}
VIEWS.update(VIDEO_VIEWS)
MEDIA_SETUP.update(dict.fromkeys(VIDEO_VIEWS, _video_setup))


def _video_cameras(w):
    """A device with a dining-area channel at 北山长者食堂, and one viewing of it by the district."""
    from tests.video.viewing_helpers import register_cameras
    from zhucan.video.services_viewing import view_session_open

    w.cams = register_cameras(w)
    view_session_open(actor=w.users["district_admin"], channel=w.cams.dining, purpose="patrol")


def _effect_video_open(w, actor, response):
    from zhucan.video.models_viewing import ViewSession

    session = ViewSession.objects.filter(user=actor).latest("id")
    _redirects_to(response, rf"/video/sessions/{session.pk}/")
    assert (session.channel_id, session.purpose, session.dining) == (w.cams.dining.pk, "complaint", True)


VIEWING_VIEWS: dict[str, View] = {
    "video_wall": View("GET", lambda w: "/video/", marker=lambda w: w.canteen.name),
    "video_canteen": View("GET", lambda w: f"/video/canteens/{w.canteen.pk}/",
                          lambda w: f"/video/canteens/{MISSING}/", marker=lambda w: "就餐大厅"),
    "video_open": View("POST", lambda w: f"/video/channels/{w.cams.dining.pk}/open/",
                       lambda w: f"/video/channels/{MISSING}/open/",
                       data=lambda w: {"purpose": "complaint", "mode": "live"}, audit_action="video.view",
                       effect=_effect_video_open),
    "video_log": View("GET", lambda w: "/video/log/", marker=lambda w: "就餐大厅"),
}
VIEWS.update(VIEWING_VIEWS)
MEDIA_SETUP.update({name: _video_cameras for name in VIEWING_VIEWS})


# Online payment of orders (issue #17): the reconciliation of the WeChat Pay bill is read by the city,
# the district and the auditor for their canteens and by the canteen's manager for its own; community
# staff and cashiers do not see it. The provider's callback URL is not a console page
# (tests/payments/test_payments.py).
PAYMENTS_TABLE = """
# view                    city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
payments_reconciliation   ok/hidden    ok/hidden       403                ok/hidden        403        ok/hidden
"""
EXPECTED.update(_parse_table(PAYMENTS_TABLE))
PAYMENT_MARKER = "ZC000000000777"


def _with_reconciliation(w):
    from datetime import date

    from zhucan.core import clock
    from zhucan.payments.models import Reconciliation, ReconciliationItem

    rec = Reconciliation.objects.create(day=date(2026, 3, 8), provider_count=1, provider_total_fen=1234,
                                        ran_at=clock.now())
    ReconciliationItem.objects.create(reconciliation=rec, kind="missing_local", out_trade_no=PAYMENT_MARKER,
                                      canteen=w.canteen, provider_fen=1234)


PAYMENT_VIEWS: dict[str, View] = {
    "payments_reconciliation": View("GET", lambda w: "/payments/reconciliation/", marker=lambda w: PAYMENT_MARKER),
}
VIEWS.update(PAYMENT_VIEWS)
MEDIA_SETUP.update({name: _with_reconciliation for name in PAYMENT_VIEWS})
# Kitchen and dispatch (issue 17) at /orders/board/: the canteen's staff run their own board, routes,
# couriers and paper; officials and the auditor see each canteen's figures of the day in their area.
# Routes are the canteen's own: another canteen's route answers as a missing one. Assigning orders to
# routes, moving stops and the counter handover are tested in tests/delivery (they need delivery orders).
DELIVERY_TABLE = """
# view                    city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
delivery_board            ok/hidden    ok/hidden       ok/hidden          ok/hidden        ok/hidden  ok/hidden
delivery_sheet_pdf        403          403             403                ok               ok         403
delivery_labels_pdf       403          403             403                ok               ok         403
delivery_route_create     403          403             403                ok               ok         403
delivery_route_courier    403          403             403                ok/404           ok/404     403
delivery_courier_register 403          403             403                ok               ok         403
delivery_routes_prepare   403          403             403                ok               ok         403
"""
EXPECTED.update(_parse_table(DELIVERY_TABLE))


def _tomorrow():
    from datetime import timedelta

    from zhucan.core import clock

    return clock.local_today() + timedelta(days=1)


def _delivery_setup(w):
    """A pickup order for tomorrow's lunch at 北山长者食堂, a courier and a route there."""
    from datetime import time

    from zhucan.delivery import services as delivery
    from zhucan.orders.menus import cutoff_set, menu_publish
    from zhucan.orders.placing import order_place, order_quote

    manager, day = w.users["canteen_manager"], _tomorrow()
    cutoff_set(actor=manager, canteen_id=w.canteen.pk, period="lunch", cutoff=time(9, 30), delivers=False)
    offer = menu_publish(actor=manager, canteen_id=w.canteen.pk, local_date=day, period="lunch",
                         offers=[(w.dish.pk, None)])[0]
    common = dict(actor=manager, elder_id=w.elder.pk, canteen_id=w.canteen.pk, local_date=day, period="lunch",
                  lines=[(offer.pk, 1)], fulfilment="pickup", channel="canteen")
    order_place(**common, expected_payable_fen=order_quote(**common).payable_fen,
                idempotency_key="matrix")
    w.courier = delivery.courier_register(actor=manager, canteen_id=w.canteen.pk, name="李志愿", phone="13600005678")
    w.route = delivery.route_create(actor=manager, canteen_id=w.canteen.pk, local_date=day, period="lunch",
                                    name="一号线")


def _board_query():
    return f"?date={_tomorrow().isoformat()}&period=lunch"


def _effect_board_redirect(action: str):
    def effect(w, actor, response):
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith("/orders/board/?date=")

    return effect


def _effect_pdf(w, actor, response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"


def _effect_route_courier(w, actor, response):
    _effect_board_redirect("")(w, actor, response)
    w.route.refresh_from_db()
    assert w.route.courier_id == w.courier.pk


def _effect_elder_diet(w, actor, response):
    _redirects_to(response, rf"/elders/{w.elder.pk}/")
    w.elder.refresh_from_db()
    assert (w.elder.diet_notes, w.elder.allergies) == (["low_salt", "soft"], "花生")


DELIVERY_VIEWS: dict[str, View] = {
    "delivery_board": View("GET", lambda w: f"/orders/board/{_board_query()}", marker=lambda w: w.canteen.name),
    "delivery_sheet_pdf": View("GET", lambda w: f"/orders/board/sheet.pdf{_board_query()}",
                               audit_action="delivery.sheet.export", effect=_effect_pdf),
    "delivery_labels_pdf": View("GET", lambda w: f"/orders/board/labels.pdf{_board_query()}",
                                audit_action="delivery.labels.export", effect=_effect_pdf),
    "delivery_route_create": View("POST", lambda w: "/orders/board/routes/new/",
                                  data=lambda w: {"date": _tomorrow().isoformat(), "period": "lunch", "name": "二号线"},
                                  audit_action="delivery.route_create", effect=_effect_board_redirect("create")),
    "delivery_route_courier": View("POST", lambda w: f"/orders/board/routes/{w.route.pk}/courier/",
                                   lambda w: f"/orders/board/routes/{MISSING}/courier/",
                                   data=lambda w: {"courier": w.courier.pk, "date": _tomorrow().isoformat()},
                                   audit_action="delivery.route_courier", effect=_effect_route_courier),
    "delivery_courier_register": View("POST", lambda w: "/orders/board/couriers/new/",
                                      data=lambda w: {"name": "周师傅", "phone": "13600001111", "kind": "staff"},
                                      audit_action="delivery.courier_register", effect=_effect_board_redirect("c")),
    "delivery_routes_prepare": View("POST", lambda w: "/orders/board/routes/prepare/",
                                    data=lambda w: {"date": _tomorrow().isoformat(), "period": "lunch"},
                                    effect=_effect_board_redirect("prepare")),
}
VIEWS.update(DELIVERY_VIEWS)
VIEWS["elder_diet"] = View("POST", lambda w: f"/elders/{w.elder.pk}/diet/", lambda w: f"/elders/{MISSING}/diet/",
                           data=lambda w: {"diet_notes": ["low_salt", "soft"], "allergies": "花生"},
                           audit_action="elder.diet", effect=_effect_elder_diet)
MEDIA_SETUP.update(dict.fromkeys(DELIVERY_VIEWS, _delivery_setup))

assert set(VIEWS) == set(EXPECTED), set(VIEWS) ^ set(EXPECTED)

# --- helpers ----------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_id_sequence(monkeypatch):
    """Work around tests/conftest.py make_elder: its sequence `next(_seq) % 999 or 1` is process-wide
    and make_id_number accepts only 0..499, so after ~250 `world` builds every test errors. Each test
    has its own database (a savepoint of the module's world, whose two elders took numbers 1 and 2 of
    a fresh process), so restarting the sequence per test above those keeps numbers unique."""
    import tests.conftest

    monkeypatch.setattr(tests.conftest, "_seq", iter(range(10, 500)))



# Ordering ahead (issue #17) at /orders/: the canteen's manager publishes its menus ahead; coverage is
# seen by officials, auditors and the manager (its own) and set by the district or the manager; the
# district, the city and the auditor supervise orders and deliveries. The menu writes (publish,
# cut-off, copy) are checked role by role in tests/orders/test_views.py.
ORDERS_TABLE = """
# view                     city_admin   district_admin  subdistrict_staff  canteen_manager  cashier    auditor
orders_menus               403          403             403                ok/hidden        403        403
orders_coverage            ok/hidden    ok/hidden       ok/hidden          ok/hidden        403        ok/hidden
orders_coverage_save       403          ok/404          403                ok/404           403        403
orders_supervision         ok/hidden    ok/hidden       403                403              403        ok/hidden
orders_supervision_export  ok/hidden    ok/hidden       403                403              403        ok/hidden
"""
EXPECTED.update(_parse_table(ORDERS_TABLE))


def _an_order_tomorrow(w):
    from datetime import time, timedelta

    from zhucan.core import clock
    from zhucan.orders.menus import cutoff_set, menu_publish
    from zhucan.orders.placing import order_place, order_quote

    manager, staff = w.users["canteen_manager"], w.users["subdistrict_staff"]
    tomorrow = clock.local_today() + timedelta(days=1)
    cutoff_set(actor=manager, canteen_id=w.canteen.pk, period="lunch", cutoff=time(9, 30), delivers=False)
    offer = menu_publish(actor=manager, canteen_id=w.canteen.pk, local_date=tomorrow, period="lunch",
                         offers=[(w.dish.pk, None)])[0]
    quote = order_quote(actor=staff, elder_id=w.elder.pk, canteen_id=w.canteen.pk, local_date=tomorrow,
                        period="lunch", lines=[(offer.pk, 1)], fulfilment="pickup", channel="staff")
    order_place(actor=staff, elder_id=w.elder.pk, canteen_id=w.canteen.pk, local_date=tomorrow,
                period="lunch", lines=[(offer.pk, 1)], fulfilment="pickup", channel="staff",
                expected_payable_fen=quote.payable_fen, idempotency_key="matrix")


def _supervision_url(tail: str):
    def url(w):
        from datetime import timedelta

        from zhucan.core import clock

        today = clock.local_today()
        return f"/orders/supervision/{tail}?start={today:%Y-%m-%d}&end={today + timedelta(days=1):%Y-%m-%d}"

    return url


def _effect_coverage_save(w, actor, response):
    from zhucan.orders.models import CoverageArea

    _redirects_to(response, rf"/orders/coverage/\?canteen={w.canteen.pk}")
    area = CoverageArea.objects.get(canteen=w.canteen)
    assert list(area.communities.values_list("pk", flat=True)) == [w.xihu_c1.pk] and area.updated_by_id == actor.pk


ORDERS_VIEWS: dict[str, View] = {
    "orders_menus": View("GET", lambda w: "/orders/menus/", marker=lambda w: w.canteen.name),
    "orders_coverage": View("GET", lambda w: "/orders/coverage/", marker=lambda w: w.canteen.name),
    "orders_coverage_save": View("POST", lambda w: f"/orders/coverage/{w.canteen.pk}/",
                                 lambda w: f"/orders/coverage/{MISSING}/",
                                 data=lambda w: {"communities": [w.xihu_c1.pk], "radius_m": ""},
                                 audit_action="orders.coverage_set", effect=_effect_coverage_save),
    "orders_supervision": View("GET", _supervision_url(""), marker=lambda w: w.canteen.name),
    "orders_supervision_export": View("GET", _supervision_url("export.xlsx"), marker=lambda w: w.canteen.name,
                                      export=True, audit_action="orders.supervision.export"),
}
VIEWS.update(ORDERS_VIEWS)
MEDIA_SETUP.update({"orders_supervision": _an_order_tomorrow, "orders_supervision_export": _an_order_tomorrow})



@pytest.fixture(scope="module")
def _matrix_world_once(module_world):
    """The shared world plus a dish on 北山长者食堂's menu, built once for the module (each test's
    writes roll back to it)."""
    from tests.conftest import _system_user
    from zhucan.canteens.services import dish_save

    module_world.dish = dish_save(actor=_system_user(), canteen_id=module_world.canteen.pk,
                                  values={"name": "红烧肉", "category": "荤菜", "price_fen": 1200})
    return module_world


@pytest.fixture
def matrix_world(_matrix_world_once, db):
    return _matrix_world_once


@pytest.fixture(autouse=True)
def _media_before_request(request):
    """What an identification-media view needs to exist (a card to report lost, a consent to
    withdraw…), made before the test takes its "nothing changed" snapshot."""
    callspec = getattr(request.node, "callspec", None)
    setup = MEDIA_SETUP.get(callspec.params.get("name")) if callspec else None
    if setup is not None:
        setup(request.getfixturevalue("matrix_world"))


def _state() -> dict:
    """Every row of the tables a console request could touch, all fields."""
    from zhucan.accounts.models import User
    from zhucan.canteens.models import Canteen, Dish, MealPeriod
    from zhucan.core.models import AuditLog
    from zhucan.elders.models import Elder

    def rows(qs):
        return sorted(qs.values(), key=lambda r: r["id"])

    return {
        "elder": rows(Elder.objects.all()),
        "elder_tags": sorted(Elder.tags.through.objects.values_list("elder_id", "tag_id")),
        "canteen": rows(Canteen.objects.all()),
        "period": rows(MealPeriod.objects.all()),
        "dish": rows(Dish.objects.all()),
        "user": [{k: v for k, v in r.items() if k != "last_login"} for r in rows(User.objects.all())],
        "audit": rows(AuditLog.objects.all()),
        **_media_state(rows),
        **_phone_state(rows),
        **_filing_state(rows),
        **_evaluation_state(rows),
        **_video_state(rows),
        **_delivery_state(rows),
    }


def _delivery_state(rows) -> dict:
    from zhucan.delivery.models import Courier, Route, Stop

    return {model._meta.label_lower: rows(model.objects.all()) for model in (Courier, Route, Stop)}


def _video_state(rows) -> dict:
    from zhucan.video import models as video

    tables = (video.Device, video.Channel, video.ChannelStatusChange, video.PlaybackCheck, video.ViewSession)
    return {model._meta.label_lower: rows(model.objects.all()) for model in tables}


def _media_state(rows) -> dict:
    from zhucan.face import models as face
    from zhucan.identity import models as identity

    tables = (identity.CitizenCard, identity.CardCode, identity.CardCodeRevocation, identity.ElderPin,
              identity.ElderCodeHandle, identity.CanteenIdentitySettings, face.FaceConsent, face.FaceEnrolment,
              face.FaceCanteenSetting, face.FaceIndexGeneration)
    return {model._meta.label_lower: rows(model.objects.all()) for model in tables}


def _phone_state(rows) -> dict:
    from zhucan.elderphone.models import Binding, PhoneAccount

    return {model._meta.label_lower: rows(model.objects.all()) for model in (PhoneAccount, Binding)}


def _filing_state(rows) -> dict:
    from zhucan.canteens.models import DesignatedSpan
    from zhucan.filing import models as filing

    tables = (filing.Designation, filing.Agreement, filing.Filing, filing.FilingItem, filing.Reminder, DesignatedSpan)
    state = {model._meta.label_lower: rows(model.objects.all()) for model in tables}
    state["filing.evidence"] = sorted(filing.Evidence.objects.values_list("id", "sha256"))
    return state


def _evaluation_state(rows) -> dict:
    from zhucan.evaluation.models import Campaign, Complaint, Nominee, Rating, Vote

    return {model._meta.label_lower: rows(model.objects.all()) for model in (Rating, Complaint, Campaign, Nominee,
                                                                             Vote)}


_CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def _page(response, url: str) -> str:
    """The response body with what differs per request anyway blanked out: the CSRF masks and the
    page's own address (in the language switcher's "next")."""
    return _CSRF.sub(r"\1…", response.content.decode()).replace(f'value="{url}"', 'value="…"')


def _main(response) -> str:
    body = response.content.decode()
    match = re.search(r"<main>(.*)</main>", body, re.S)
    assert match, body[:500]
    return match.group(1)


def _xlsx_text(response) -> str:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats"), response["Content-Type"]
    sheet = load_workbook(BytesIO(response.content), read_only=True).active
    return "\n".join("\t".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True))


def _send(client, view: View, url: str, w):
    if view.method == "GET":
        return client.get(url)
    return client.post(url, view.data(w) if view.data else {})


def _shown(view: View, response) -> str:
    return _xlsx_text(response) if view.export else _main(response)


# --- the matrix ---------------------------------------------------------------------------------------

# A role refused a view outright (403 on both sides) is asked once, from its own side: the refusal
# comes from the role's permissions before any jurisdiction is looked at, so the other side's actor
# of the same role meets the same check (a quarter of the cells; the suite's time matters).
CASES = [
    pytest.param(name, role, side, id=f"{name}-{role}-{side}")
    for name in EXPECTED
    for role in ROLES
    for side in ("own", "other")
    if not (side == "other" and EXPECTED[name][role] == ("403", "403"))
]


@pytest.mark.parametrize(("name", "role", "side"), CASES)
def test_permission_matrix(matrix_world, client, name, role, side):
    from zhucan.core.models import AuditLog

    w = matrix_world
    view = VIEWS[name]
    expected = EXPECTED[name][role][0 if side == "own" else 1]
    actor = (w.users if side == "own" else w.other)[role]
    login(client, actor)
    before = _state()
    last_audit = AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0

    response = _send(client, view, view.url(w), w)

    if expected == "ok":
        if view.effect:
            view.effect(w, actor, response)
        else:
            assert response.status_code == 200, response.status_code
        if view.marker:
            assert view.marker(w) in _shown(view, response)
        if view.audit_action:
            new_rows = AuditLog.objects.filter(id__gt=last_audit)
            assert new_rows.filter(action=view.audit_action, actor=actor).count() == 1, list(new_rows.values())
        elif view.method == "POST":
            assert _state() == before
        return

    if expected in ("hidden", "allowed"):
        assert response.status_code == 200, response.status_code
        if expected == "hidden":
            assert view.marker(w) not in _shown(view, response)
        after = _state()
        if view.export:  # an export, even of nothing, leaves its one audit row and changes nothing else
            new_rows = AuditLog.objects.filter(id__gt=last_audit)
            assert [(r.action, r.actor_id) for r in new_rows] == [(view.audit_action, actor.pk)]
            after["audit"] = [r for r in after["audit"] if r["id"] <= last_audit]
        assert after == before
        return

    if expected == "403":
        assert response.status_code == 403, response.status_code
        assert "无权访问" in response.content.decode()
    elif expected == "404":
        assert response.status_code == 404, (response.status_code, response.get("Location"))
        missing = _send(client, view, view.missing_url(w), w)
        assert missing.status_code == 404
        assert _page(response, view.url(w)) == _page(missing, view.missing_url(w)), (
            "'not yours' must look exactly like 'not found'")
    elif expected == "moved":
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith("/") and not response["Location"].startswith("/accounts/login")
    elif expected == "refused":
        assert response.status_code == 200, (response.status_code, response.get("Location"))
        assert 'class="errorlist' in response.content.decode()
    else:  # pragma: no cover - a typo in the table
        raise AssertionError(f"unknown outcome {expected!r}")
    assert _state() == before, "a refused request changed data"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_anonymous_is_sent_to_login(matrix_world, client, name):
    view = VIEWS[name]
    before = _state()
    url = view.url(matrix_world)
    response = _send(client, view, url, matrix_world)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert _state() == before


def test_table_covers_every_console_url():
    """A new console URL must be added to the matrix (the app's URL names, minus login/logout/import)."""
    from django.urls import get_resolver

    covered = {"elders:list", "elders:detail", "elders:create", "elders:edit", "elders:export", "elders:verify",
               "elders:reveal_id", "elders:reveal", "elders:diet", "privacy:erase", "elders:check_id", "canteens:list",
               "canteens:detail", "canteens:create",
               "canteens:edit", "canteens:export", "canteens:periods", "canteens:dish_create", "canteens:dish_edit",
               "accounts:user_list", "accounts:user_create", "accounts:user_edit", "accounts:user_export",
               "regions:tree", "console:audit_list", "console:home", "console:workbench"}
    # Outside this matrix: login/logout (tested in test_scoping), the elder import (its own tests).
    elsewhere = {"accounts:login", "accounts:logout", "elders:import", "elders:import_confirm",
                 "elders:import_template"}
    names = set()
    resolver = get_resolver()
    for ns in ("console", "accounts", "elders", "canteens", "regions", "privacy"):
        names |= {f"{ns}:{n}" for n in resolver.namespace_dict[ns][1].reverse_dict if isinstance(n, str)}
    assert names - elsewhere == covered


def test_table_covers_every_identity_and_face_console_url():
    """The same rule for the identification-media console URLs (the terminals' public key set and
    revocation list are not console pages: tests/identity/test_endpoints.py)."""
    from django.urls import get_resolver

    covered = {"identity:card_bind", "identity:card_report_lost", "identity:card_replace",
               "identity:card_code_issue", "identity:card_code_revoke", "identity:pin_set",
               "identity:canteen_factor", "face:consent_record", "face:consent_withdraw", "face:enrol",
               "face:enrolment_delete", "face:canteen_setting"}
    elsewhere = {"identity:keys", "identity:revoked"}
    names = set()
    resolver = get_resolver()
    for ns in ("identity", "face"):
        names |= {f"{ns}:{n}" for n in resolver.namespace_dict[ns][1].reverse_dict if isinstance(n, str)}
    assert names - elsewhere == covered
    assert len(covered) == len(MEDIA_VIEWS)


def test_table_covers_every_elderphone_console_url():
    """The same rule for the phone-account console URLs (the phone page itself, namespace "h5", has
    its own session and tests: tests/elderphone)."""
    from django.urls import get_resolver

    names = {f"elderphone:{n}" for n in get_resolver().namespace_dict["elderphone"][1].reverse_dict
             if isinstance(n, str)}
    assert names == {"elderphone:bind", "elderphone:revoke"}
    assert len(names) == len(PHONE_VIEWS)


def test_table_covers_every_filing_console_url_of_the_officials():
    """The same rule for the officials' filing consoles (the canteen manager's own filing pages
    are tested with them: tests/filing)."""
    from django.urls import get_resolver

    from zhucan.filing import views_district

    resolver = get_resolver().namespace_dict["filing"][1]
    names = {f"filing_{p.name}" for p in resolver.url_patterns
             if getattr(p, "name", None) and p.callback.__module__ == views_district.__name__}
    assert names == set(FILING_VIEWS)


def test_table_covers_every_dashboard_url():
    """The same rule for the dashboards (namespace "analytics")."""
    from django.urls import get_resolver

    names = {f"dashboard_{n}" if n != "dashboard" else n
             for n in get_resolver().namespace_dict["analytics"][1].reverse_dict if isinstance(n, str)}
    assert names == set(DASHBOARD_VIEWS)
def test_table_covers_the_alerts_console():
    """Every /alerts/ URL is in the matrix or checked role by role in tests/alerts/test_views.py."""
    from django.urls import get_resolver

    names = {n for n in get_resolver().namespace_dict["alerts"][1].reverse_dict if isinstance(n, str)}
    in_matrix = {name.removeprefix("alerts_") for name in ALERT_VIEWS}
    assert names - in_matrix == {"snapshot", "investigate", "close", "detect"}
def test_table_covers_every_evaluation_console_url():
    """The same rule for the console of ratings and complaints (the phone and public pages have their
    own tests: tests/evaluation)."""
    from django.urls import get_resolver

    names = {f"evaluation_{n}" for n in get_resolver().namespace_dict["evaluation"][1].reverse_dict
             if isinstance(n, str)}
    assert names == set(EVALUATION_VIEWS)
def test_table_covers_every_video_registry_url():
    from django.urls import get_resolver

    resolver = get_resolver().namespace_dict["video_registry"][1]
    names = {f"video_{p.name}" for p in resolver.url_patterns if getattr(p, "name", None)}
    assert names == set(VIDEO_VIEWS)


def test_table_covers_every_video_console_url():
    """The same rule for the video consoles. Elsewhere (tests/video/test_viewing.py): the player and
    its heartbeat and end (the viewer's own session only), the token-checked HLS, and the public
    kitchen kiosk, which needs no login."""
    from django.urls import get_resolver

    names = {f"video_{n}" for n in get_resolver().namespace_dict["video"][1].reverse_dict if isinstance(n, str)}
    elsewhere = {"video_player", "video_beat", "video_end", "video_hls", "video_kiosk", "video_kiosk_streams"}
    assert names - elsewhere == set(VIEWING_VIEWS)


def test_table_covers_every_order_channel_url():
    """The same rule for ordering from the console (namespace "orderchannel"); the order page and
    its cancellation are checked role by role in tests/family/test_console_channel.py."""
    from django.urls import get_resolver

    names = {f"orderchannel_{n}" for n in get_resolver().namespace_dict["orderchannel"][1].reverse_dict
             if isinstance(n, str)}
    assert names - {"orderchannel_order", "orderchannel_cancel"} == set(ORDER_CHANNEL_VIEWS)
def test_table_covers_every_delivery_console_url():
    """The board's URLs; assigning, moving stops and the counter handover: tests/delivery."""
    from django.urls import get_resolver

    names = {f"delivery_{n}" for n in get_resolver().namespace_dict["delivery"][1].reverse_dict if isinstance(n, str)}
    elsewhere = {"delivery_route_assign", "delivery_stop_move", "delivery_handover", "delivery_labels_print"}
    assert names - elsewhere == set(DELIVERY_VIEWS)


def test_table_covers_every_orders_console_url():
    """Every /orders/ URL is in the matrix or checked role by role in tests/orders/test_views.py."""
    from django.urls import get_resolver

    names = {f"orders_{n}" for n in get_resolver().namespace_dict["orders"][1].reverse_dict if isinstance(n, str)}
    assert names - set(ORDERS_VIEWS) == {"orders_menus_publish", "orders_menus_cutoff", "orders_menus_copy"}
def test_table_covers_the_payments_console():
    """Every /payments/ URL is in the matrix, except the provider's callback (signature-checked) and
    the family member's pay button on the phone page (tests/payments/test_payments.py)."""
    from django.urls import get_resolver

    names = {f"payments_{n}" for n in get_resolver().namespace_dict["payments"][1].reverse_dict if isinstance(n, str)}
    assert names - {"payments_wechat_notify", "payments_h5_pay"} == set(PAYMENT_VIEWS)

