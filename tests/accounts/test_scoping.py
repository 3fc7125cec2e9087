"""Scoping at the selector and service level, role grants, login throttling, password hashing.

One scoping mechanism decides what every query returns; a district administrator
never sees another district's elders; passwords hashed with Argon2; login throttled and locked.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import PASSWORD, make_canteen, make_elder, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fresh_id_sequence(monkeypatch):
    """tests/conftest.py make_elder's process-wide sequence overflows make_id_number's 0..499 after
    ~250 world builds; each test has its own database, so restart it per test."""
    import tests.conftest

    monkeypatch.setattr(tests.conftest, "_seq", iter(range(1, 500)))


def _counts():
    from zhucan.accounts.models import User
    from zhucan.canteens.models import Canteen
    from zhucan.core.models import AuditLog
    from zhucan.elders.models import Elder

    return {m.__name__: m.objects.count() for m in (Elder, Canteen, User, AuditLog)}


@pytest.fixture
def liaocheng(world):
    """An elder, a canteen and a user in 聊城 (the other city)."""
    world.lc_elder = make_elder(world.lc_c1, name="赵凤英")
    world.lc_canteen = make_canteen(world.lc_sub, "蒋官屯幸福食堂")
    world.lc_staff = make_user("jgt_staff", "subdistrict_staff", region=world.lc_sub)
    return world


# --- lists -------------------------------------------------------------------------------------------


def test_district_admin_lists_only_own_districts_elders_and_canteens(world):
    from zhucan.canteens.selectors import canteen_list
    from zhucan.elders.selectors import elder_list

    xihu_second = make_elder(world.xihu_c2, name="陈阿婆")
    admin = world.users["district_admin"]

    assert set(elder_list(user=admin)) == {world.elder, xihu_second}
    assert set(elder_list(user=admin, action="export")) == {world.elder, xihu_second}
    assert list(canteen_list(user=admin)) == [world.canteen]
    other_admin = world.other["district_admin"]
    assert list(elder_list(user=other_admin)) == [world.other_elder]
    assert list(canteen_list(user=other_admin)) == [world.other_canteen]


def test_subdistrict_staff_lists_only_own_subdistrict(world):
    from zhucan.elders.selectors import elder_list

    make_elder(world.xihu_c2, name="陈阿婆")  # 西溪街道: same district, other subdistrict
    assert list(elder_list(user=world.users["subdistrict_staff"])) == [world.elder]


def test_canteen_staff_see_only_their_canteen_and_no_elders(world):
    from zhucan.canteens.selectors import canteen_list
    from zhucan.elders.selectors import elder_list

    for role in ("canteen_manager", "cashier"):
        user = world.users[role]
        assert list(canteen_list(user=user)) == [world.canteen]
        assert list(elder_list(user=user)) == []


def test_hangzhou_city_admin_sees_nothing_of_liaocheng(liaocheng):
    from zhucan.accounts.models import User
    from zhucan.accounts.scoping import restrict
    from zhucan.canteens.selectors import canteen_list
    from zhucan.core.models import AuditLog
    from zhucan.elders.selectors import elder_list
    from zhucan.regions.selectors import region_list

    w = liaocheng
    hz = w.users["city_admin"]
    assert set(elder_list(user=hz)) == {w.elder, w.other_elder}
    assert set(canteen_list(user=hz)) == {w.canteen, w.other_canteen}
    regions = set(region_list(user=hz))
    assert w.xihu in regions and w.shangcheng in regions
    assert not regions & {w.lc, w.lc_zone, w.lc_sub, w.lc_c1}
    users = set(restrict(User.objects.all(), hz))
    assert w.users["district_admin"] in users
    assert not users & {w.lc_staff, w.other["city_admin"]}
    audit = restrict(AuditLog.objects.all(), hz)
    assert audit.filter(object_id=str(w.elder.pk), object_type="elders.elder").exists()
    assert not audit.filter(object_id=str(w.lc_elder.pk), object_type="elders.elder").exists()
    assert not audit.filter(region_path__startswith=w.lc.path).exists()
    # …and the other way round.
    lc = w.other["city_admin"]
    assert list(elder_list(user=lc)) == [w.lc_elder]
    assert list(canteen_list(user=lc)) == [w.lc_canteen]


def test_get_scoped_answers_not_yours_like_not_found(world):
    from zhucan.core.errors import NotFound
    from zhucan.elders.selectors import elder_get

    admin = world.users["district_admin"]
    with pytest.raises(NotFound) as not_yours:
        elder_get(user=admin, elder_id=world.other_elder.pk)
    with pytest.raises(NotFound) as missing:
        elder_get(user=admin, elder_id=987654)
    assert not_yours.value.as_dict() == missing.value.as_dict()


# --- search --------------------------------------------------------------------------------------------


def test_search_by_full_id_number_uses_the_blind_index(world):
    from zhucan.elders.selectors import elder_list

    admin = world.users["district_admin"]
    number = world.elder.plain_id_number
    assert list(elder_list(user=admin, q=number)) == [world.elder]
    assert list(elder_list(user=admin, q=f"  {number.lower()} ")) == [world.elder]
    # Scoped: the other district's administrator cannot find the elder even with the whole number.
    assert list(elder_list(user=world.other["district_admin"], q=number)) == []
    # The plaintext is nowhere in the table: the match came from the keyed index.
    from zhucan.elders.models import Elder

    row = Elder.objects.values().get(pk=world.elder.pk)
    assert number not in {str(v) for v in row.values()}


def test_search_by_last_four_digits_of_the_masked_number(world):
    from zhucan.elders.selectors import elder_list

    admin = world.users["city_admin"]
    last4 = world.elder.plain_id_number[-4:]
    assert world.elder.id_number_masked.endswith(last4)
    assert not world.other_elder.id_number_masked.endswith(last4)
    assert list(elder_list(user=admin, q=last4)) == [world.elder]
    masked = world.elder.id_number_masked  # e.g. 330106********0012: as copied from a list
    assert list(elder_list(user=admin, q=masked)) == [world.elder]


def test_search_by_name(world):
    from zhucan.elders.selectors import elder_list

    admin = world.users["city_admin"]
    assert list(elder_list(user=admin, q="张秀英")) == [world.elder]
    assert list(elder_list(user=admin, q="秀英")) == [world.elder]
    assert list(elder_list(user=world.users["district_admin"], q="李桂兰")) == []


# --- the full ID number ------------------------------------------------------------------------------


def test_reveal_id_writes_an_audit_row_each_time(world):
    from zhucan.core.models import AuditLog
    from zhucan.elders.services import elder_reveal_id_number

    for role in ("district_admin", "subdistrict_staff"):
        actor = world.users[role]
        for _ in range(2):
            number = elder_reveal_id_number(actor=actor, elder_id=world.elder.pk, ip="10.0.0.8")
            assert number == world.elder.plain_id_number
        rows = AuditLog.objects.filter(action="elder.reveal_id", actor=actor, object_id=str(world.elder.pk))
        assert rows.count() == 2
        assert {r.ip for r in rows} == {"10.0.0.8"}
        # The audit row itself never holds the plaintext.
        for row in rows.values():
            assert world.elder.plain_id_number not in str(row)


@pytest.mark.parametrize("role", ["auditor", "cashier", "canteen_manager", "city_admin"])
def test_reveal_id_refused_to_roles_that_do_not_need_it(world, role):
    from zhucan.core.errors import PermissionDenied
    from zhucan.elders.services import elder_reveal_id_number

    before = _counts()
    with pytest.raises(PermissionDenied):
        elder_reveal_id_number(actor=world.users[role], elder_id=world.elder.pk)
    assert _counts() == before


def test_reveal_id_out_of_scope_is_not_found_and_not_logged(world):
    from zhucan.core.errors import NotFound
    from zhucan.elders.services import elder_reveal_id_number

    before = _counts()
    with pytest.raises(NotFound):
        elder_reveal_id_number(actor=world.other["district_admin"], elder_id=world.elder.pk)
    assert _counts() == before


# --- registering and granting -------------------------------------------------------------------------


def test_subdistrict_staff_cannot_register_into_another_subdistricts_community(world):
    from zhucan.core.errors import DomainError
    from zhucan.core.idnumber import make_id_number
    from zhucan.elders.services import ElderData, elder_register

    staff = world.users["subdistrict_staff"]  # 北山街道
    number = make_id_number("330106", date(1948, 8, 8), 7, "M")
    before = _counts()
    for community in (world.xihu_c2, world.sc_c1):  # 西溪街道 (same district), 湖滨街道 (other district)
        with pytest.raises(DomainError) as exc:
            elder_register(actor=staff, data=ElderData(name="周大爷", id_number=number, community=community))
        assert exc.value.code == "ELDER_BAD_COMMUNITY"
        assert exc.value.field == "community"
    assert _counts() == before
    # Into their own community it works, with its audit row.
    elder = elder_register(actor=staff, data=ElderData(name="周大爷", id_number=number, community=world.xihu_c1))
    assert elder.community == world.xihu_c1
    after = _counts()
    assert (after["Elder"], after["AuditLog"]) == (before["Elder"] + 1, before["AuditLog"] + 1)


def test_district_admin_cannot_grant_city_admin(world):
    from zhucan.accounts.services import user_create
    from zhucan.core.errors import DomainError

    admin = world.users["district_admin"]
    before = _counts()
    with pytest.raises(DomainError) as exc:
        user_create(actor=admin, username="would_be_city", password="Strong-pass-2025!", role="city_admin",
                    region=world.hz)
    assert exc.value.code == "USER_ROLE_NOT_GRANTABLE"
    assert _counts() == before


def test_district_admin_cannot_promote_a_user_to_city_admin(world):
    from zhucan.accounts.services import user_update
    from zhucan.core.errors import DomainError

    admin = world.users["district_admin"]
    before = _counts()
    staff = world.users["subdistrict_staff"]
    with pytest.raises(DomainError) as exc:
        user_update(actor=admin, user_id=staff.pk, role="city_admin", region=world.hz, canteen=None,
                    display_name="x", phone="", is_active=True)
    assert exc.value.code == "USER_ROLE_NOT_GRANTABLE"
    assert _counts() == before
    staff.refresh_from_db()
    assert (staff.role, staff.region_id) == ("subdistrict_staff", world.xihu_sub.pk)


def test_district_admin_grants_within_own_district_only(world):
    from zhucan.accounts.services import user_create
    from zhucan.core.errors import DomainError

    admin = world.users["district_admin"]
    before = _counts()
    with pytest.raises(DomainError) as exc:
        user_create(actor=admin, username="hubin2", password="Strong-pass-2025!", role="subdistrict_staff",
                    region=world.sc_sub)
    assert exc.value.code == "USER_REGION_REQUIRED"
    assert _counts() == before
    user = user_create(actor=admin, username="xixi2", password="Strong-pass-2025!", role="subdistrict_staff",
                       region=world.xihu_sub2)
    assert user.region == world.xihu_sub2
    assert _counts()["AuditLog"] == before["AuditLog"] + 1


# --- login throttling ------------------------------------------------------------------------------------


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_until_the_window_passes(world, client, frozen_clock, settings):
    user = world.users["district_admin"]
    t0 = frozen_clock(datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI))
    for attempt in range(5):
        frozen_clock(t0 + timedelta(seconds=attempt))
        response = _login(client, user.username, "wrong-password")
        assert response.status_code == 401
        assert "用户名或密码不正确" in response.content.decode()

    # The sixth attempt, with the RIGHT password, is refused: the account is locked.
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多，账号已临时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session

    # Still locked just before the window ends…
    window = timedelta(minutes=settings.ZHUCAN_LOGIN_LOCK_MINUTES)
    frozen_clock(t0 + timedelta(seconds=4) + window - timedelta(seconds=1))
    assert _login(client, user.username, PASSWORD).status_code == 429
    # …and lifted after it.
    frozen_clock(t0 + timedelta(seconds=4) + window + timedelta(seconds=1))
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_four_wrong_passwords_do_not_lock(world, client, frozen_clock):
    user = world.users["district_admin"]
    frozen_clock(datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI))
    for _ in range(4):
        assert _login(client, user.username, "wrong-password").status_code == 401
    assert _login(client, user.username, PASSWORD).status_code == 302


def test_lock_is_per_account(world, client, frozen_clock):
    frozen_clock(datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI))
    for _ in range(5):
        _login(client, world.users["district_admin"].username, "wrong-password")
    assert _login(client, world.users["auditor"].username, PASSWORD).status_code == 302


# --- password hashing ---------------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2_outside_tests():
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from config.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = Argon2PasswordHasher().encode("Zhucan-test-2025", "c2FsdHNhbHRzYWx0")
    assert encoded.startswith("argon2$argon2id$")
    assert Argon2PasswordHasher().verify("Zhucan-test-2025", encoded)


def test_production_settings_keep_argon2():
    source = (Path(__file__).resolve().parents[2] / "config" / "settings" / "production.py").read_text()
    # Production inherits base's hashers; it must not override them.
    assert "PASSWORD_HASHERS" not in source


def test_tests_use_md5_for_speed(settings):
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
