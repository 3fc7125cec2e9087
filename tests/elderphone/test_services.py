"""Phone accounts, bindings, SMS codes and the phone-page login."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.elderphone.conftest import ELDER_PHONE, FAMILY_PHONE, NOON, PASSWORD
from zhucan.core.errors import DomainError, NotFound
from zhucan.core.models import AuditLog
from zhucan.elderphone import services, sms
from zhucan.elderphone.models import Binding, PhoneAccount, SmsCode
from zhucan.elderphone.phones import name_mask, phone_index, phone_mask, phone_normalise


def code_of(call) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.message_zh and caught.value.message_en
    return caught.value.code


# --- phone numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["13812341234", " 138 1234 1234 ", "+86 138-1234-1234", "008613812341234"])
def test_phone_numbers_are_normalised(raw):
    assert phone_normalise(raw) == "13812341234"


@pytest.mark.parametrize("raw", ["", "1381234123", "23812341234", "12812341234", "138123412345", "1381234123a"])
def test_bad_phone_numbers_are_refused(raw):
    assert code_of(lambda: phone_normalise(raw)) == "PHONE_INVALID"


def test_masks():
    assert phone_mask("13812341234") == "138****1234"
    assert (name_mask("张秀英"), name_mask("张三"), name_mask("欧阳娜娜")) == ("张*英", "张*", "欧**娜")


# --- binding ---------------------------------------------------------------------------------------


def test_bind_creates_the_account_sends_an_activation_code_and_audits(world, staff, noon):
    result = services.binding_create(actor=staff, elder_id=world.elder.pk, phone="138 0000 1111",
                                     relation="self", ip="10.0.0.1")
    b = result.binding
    assert result.account_created and result.sms == "activation"
    assert (b.account.phone, b.account.display_name, b.relation) == (ELDER_PHONE, "张秀英", "self")
    assert (b.bound_by, b.bound_at, b.revoked_at) == (staff, NOON, None)
    assert not b.account.activated  # no password until the person sets one with the code
    [message] = sms.outbox(ELDER_PHONE)
    assert message.template_code == "H5_ACTIVATE" and len(message.params["code"]) == 6
    assert message.params["code"] in message.text
    row = SmsCode.objects.get(phone_index=phone_index(ELDER_PHONE))
    assert message.params["code"] not in row.code_hash and row.delivered  # stored hashed only
    actions = list(AuditLog.objects.filter(actor=staff).values_list("action", flat=True).order_by("id"))
    assert actions == ["elderphone.account_create", "elderphone.bind"]
    audit = AuditLog.objects.get(action="elderphone.bind")
    assert audit.region_path == world.elder.community.path and ELDER_PHONE not in str(audit.after)
    assert ELDER_PHONE not in audit.object_repr


def test_a_family_phone_binds_to_two_elders_with_one_account(world, staff, noon):
    from tests.conftest import make_elder

    second = make_elder(world.xihu_c1, name="张国华")
    first = services.binding_create(actor=staff, elder_id=world.elder.pk, phone=FAMILY_PHONE, relation="child",
                                    display_name="张晓东")
    again = services.binding_create(actor=staff, elder_id=second.pk, phone=FAMILY_PHONE, relation="child",
                                    display_name="张晓东")
    assert first.account_created and not again.account_created
    assert again.binding.account == first.binding.account
    assert again.sms == "skipped"  # the code sent a moment ago still works: not sent twice
    assert len(sms.outbox(FAMILY_PHONE)) == 1
    assert code_of(lambda: services.binding_create(actor=staff, elder_id=second.pk, phone=FAMILY_PHONE,
                                                   relation="child", display_name="张晓东")) == "BINDING_EXISTS"


def test_an_activated_account_gets_a_notice_not_a_code(world, staff, phones):
    from tests.conftest import make_elder

    third = make_elder(world.xihu_c1, name="王阿婆")
    result = services.binding_create(actor=staff, elder_id=third.pk, phone=FAMILY_PHONE, relation="other",
                                     display_name="张晓东")
    assert result.sms == "notice"
    [message] = sms.outbox(FAMILY_PHONE)
    assert message.template_code == "H5_BOUND" and "code" not in message.params


def test_binding_rules(world, staff, phones):
    # A relative needs a name; the relation must be one of the four.
    assert code_of(lambda: services.binding_create(actor=staff, elder_id=world.elder.pk, phone="13700000000",
                                                   relation="child")) == "NAME_REQUIRED"
    assert code_of(lambda: services.binding_create(actor=staff, elder_id=world.elder.pk, phone="13700000000",
                                                   relation="boss", display_name="x")) == "RELATION_INVALID"
    # One own phone per elder; a phone is the own phone of one elder only.
    assert code_of(lambda: services.binding_create(actor=staff, elder_id=world.elder.pk, phone="13700000000",
                                                   relation="self")) == "SELF_BINDING_EXISTS"
    assert code_of(lambda: services.binding_create(actor=staff, elder_id=phones.second.pk, phone=ELDER_PHONE,
                                                   relation="self")) == "ACCOUNT_IS_SELF_ELSEWHERE"
    # A deactivated account cannot be bound again.
    PhoneAccount.objects.filter(phone_index=phone_index(FAMILY_PHONE)).update(is_active=False)
    from tests.conftest import make_elder

    third = make_elder(world.xihu_c1, name="王阿婆")
    assert code_of(lambda: services.binding_create(actor=staff, elder_id=third.pk, phone=FAMILY_PHONE,
                                                   relation="child", display_name="张晓东")) == "ACCOUNT_INACTIVE"


@pytest.mark.parametrize("who", ["other_staff", "cashier", "auditor"])
def test_bind_outside_the_jurisdiction_or_role_is_not_found(world, who):
    actor = {"other_staff": world.other["subdistrict_staff"], "cashier": world.users["cashier"],
             "auditor": world.users["auditor"]}[who]
    with pytest.raises(NotFound):
        services.binding_create(actor=actor, elder_id=world.elder.pk, phone=ELDER_PHONE, relation="self")
    assert not PhoneAccount.objects.exists() and not Binding.objects.exists()
    assert not sms.outbox()


def test_revoke_keeps_history_and_allows_binding_again(world, staff, phones):
    revoked = services.binding_revoke(actor=staff, binding_id=phones.child.pk, elder_id=world.elder.pk)
    assert revoked.revoked_at is not None and revoked.revoked_by == staff
    assert AuditLog.objects.filter(action="elderphone.revoke", actor=staff, object_id=str(revoked.pk)).count() == 1
    assert code_of(lambda: services.binding_revoke(actor=staff, binding_id=phones.child.pk)) == "BINDING_REVOKED"
    again = services.binding_create(actor=staff, elder_id=world.elder.pk, phone=FAMILY_PHONE, relation="child",
                                    display_name="张晓东").binding
    assert again.pk != revoked.pk
    assert Binding.objects.filter(elder=world.elder, account__phone_index=phone_index(FAMILY_PHONE)).count() == 2


def test_revoke_is_scoped(world, staff, phones):
    with pytest.raises(NotFound):
        services.binding_revoke(actor=world.other["district_admin"], binding_id=phones.child.pk)
    with pytest.raises(NotFound):  # the URL's elder must be the binding's
        services.binding_revoke(actor=staff, binding_id=phones.child.pk, elder_id=phones.second.pk)
    assert Binding.objects.get(pk=phones.child.pk).revoked_at is None


# --- SMS codes and passwords --------------------------------------------------------------------------


def _send_and_read(phone=ELDER_PHONE) -> str:
    services.sms_code_send(phone=phone)
    return sms.last_code(phone)


def test_first_login_sets_the_password_with_the_activation_code(world, staff, frozen_clock):
    frozen_clock(NOON)
    services.binding_create(actor=staff, elder_id=world.elder.pk, phone=ELDER_PHONE, relation="self")
    code = sms.last_code(ELDER_PHONE)
    account = services.password_set_with_code(phone=ELDER_PHONE, code=code, password=PASSWORD, password2=PASSWORD)
    assert account.activated and account.password != PASSWORD and account.password_set_at == NOON
    assert AuditLog.objects.filter(action="elderphone.password_set", actor=None,
                                   actor_repr="h5:138****1111").count() == 1
    # The code works once.
    assert code_of(lambda: services.password_set_with_code(
        phone=ELDER_PHONE, code=code, password="Another-2025", password2="Another-2025")) == "SMS_CODE_EXPIRED"
    assert services.account_login(phone=ELDER_PHONE, password=PASSWORD) == account


def test_wrong_code_then_too_many_attempts(world, phones, noon):
    code = _send_and_read()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        assert code_of(lambda: services.password_set_with_code(
            phone=ELDER_PHONE, code=wrong, password="Neue-Passwort-1", password2="Neue-Passwort-1")) == "SMS_CODE_WRONG"
    assert code_of(lambda: services.password_set_with_code(
        phone=ELDER_PHONE, code=wrong, password="Neue-Passwort-1", password2="Neue-Passwort-1")) == "SMS_CODE_ATTEMPTS"
    # Even the right code is refused now: a new one must be requested.
    assert code_of(lambda: services.password_set_with_code(
        phone=ELDER_PHONE, code=code, password="Neue-Passwort-1", password2="Neue-Passwort-1")) == "SMS_CODE_ATTEMPTS"
    assert services.account_login(phone=ELDER_PHONE, password=PASSWORD)  # the old password still works


def test_code_expires_after_five_minutes(world, phones, frozen_clock):
    frozen_clock(NOON)
    code = _send_and_read()
    frozen_clock(NOON + timedelta(minutes=5, seconds=1))
    assert code_of(lambda: services.password_set_with_code(
        phone=ELDER_PHONE, code=code, password="Neue-Passwort-1", password2="Neue-Passwort-1")) == "SMS_CODE_EXPIRED"


def test_a_code_within_five_minutes_works_and_lifts_a_login_lock(world, phones, frozen_clock):
    frozen_clock(NOON)
    for _ in range(5):
        code_of(lambda: services.account_login(phone=ELDER_PHONE, password="wrong-password"))
    assert code_of(lambda: services.account_login(phone=ELDER_PHONE, password=PASSWORD)) == "LOGIN_LOCKED"
    code = _send_and_read()
    frozen_clock(NOON + timedelta(minutes=4, seconds=59))
    services.password_set_with_code(phone=ELDER_PHONE, code=code, password="Neue-Passwort-1",
                                    password2="Neue-Passwort-1")
    assert services.account_login(phone=ELDER_PHONE, password="Neue-Passwort-1")
    assert AuditLog.objects.filter(action="elderphone.password_reset").count() == 1


def test_sending_is_rate_limited(world, phones, frozen_clock):
    frozen_clock(NOON)
    services.sms_code_send(phone=ELDER_PHONE)
    with pytest.raises(DomainError) as caught:
        services.sms_code_send(phone=ELDER_PHONE)
    assert caught.value.code == "SMS_TOO_FREQUENT" and caught.value.details == {"seconds": "60"}
    assert "60秒" in caught.value.message_zh
    frozen_clock(NOON + timedelta(seconds=45))
    assert code_of(lambda: services.sms_code_send(phone=ELDER_PHONE)) == "SMS_TOO_FREQUENT"
    services.sms_code_send(phone=FAMILY_PHONE)  # another phone is not held up
    for i in range(1, 10):
        frozen_clock(NOON + timedelta(minutes=i))
        services.sms_code_send(phone=ELDER_PHONE)
    frozen_clock(NOON + timedelta(minutes=11))
    assert code_of(lambda: services.sms_code_send(phone=ELDER_PHONE)) == "SMS_DAILY_LIMIT"
    assert len(sms.outbox(ELDER_PHONE)) == 10


def test_only_the_latest_code_counts(world, phones, frozen_clock):
    frozen_clock(NOON)
    old = _send_and_read()
    frozen_clock(NOON + timedelta(seconds=61))
    new = _send_and_read()
    if old != new:
        assert code_of(lambda: services.password_set_with_code(
            phone=ELDER_PHONE, code=old, password="Neue-Passwort-1", password2="Neue-Passwort-1")) == "SMS_CODE_WRONG"
    services.password_set_with_code(phone=ELDER_PHONE, code=new, password="Neue-Passwort-1",
                                    password2="Neue-Passwort-1")


def test_an_unknown_number_gets_the_same_answer_and_nothing_is_sent(world, noon):
    assert services.sms_code_send(phone="13612345678") == "136****5678"
    assert sms.outbox() == []
    row = SmsCode.objects.get(phone_index=phone_index("13612345678"))
    assert not row.delivered and row.account is None
    assert code_of(lambda: services.sms_code_send(phone="13612345678")) == "SMS_TOO_FREQUENT"  # same limits
    for guess in ("000000", "123456"):
        assert code_of(lambda g=guess: services.password_set_with_code(
            phone="13612345678", code=g, password="Neue-Passwort-1", password2="Neue-Passwort-1")) == "SMS_CODE_WRONG"
    assert not PhoneAccount.objects.exists()


@pytest.mark.parametrize("password", ["short1", "12345678", "aaaaaaaaaa", ELDER_PHONE, "password123"])
def test_weak_passwords_are_refused_before_the_code_is_spent(world, phones, noon, password):
    code = _send_and_read()
    assert code_of(lambda: services.password_set_with_code(phone=ELDER_PHONE, code=code, password=password,
                                                           password2=password)) == "PASSWORD_WEAK"
    assert code_of(lambda: services.password_set_with_code(phone=ELDER_PHONE, code=code, password="Neue-Passwort-1",
                                                           password2="Neue-Passwort-2")) == "PASSWORD_MISMATCH"
    assert SmsCode.objects.get(phone_index=phone_index(ELDER_PHONE)).attempts == 0
    services.password_set_with_code(phone=ELDER_PHONE, code=code, password="Neue-Passwort-1",
                                    password2="Neue-Passwort-1")


# --- login ------------------------------------------------------------------------------------------------


def test_login_and_lockout_after_five_failures(world, phones, frozen_clock):
    frozen_clock(NOON)
    account = services.account_login(phone="138-0000-1111", password=PASSWORD)
    assert account.last_login_at == NOON
    for _ in range(4):
        assert code_of(lambda: services.account_login(phone=ELDER_PHONE, password="wrong")) == "LOGIN_FAILED"
    with pytest.raises(DomainError) as caught:
        services.account_login(phone=ELDER_PHONE, password="wrong")
    assert caught.value.code == "LOGIN_LOCKED" and "15分钟" in caught.value.message_zh
    assert code_of(lambda: services.account_login(phone=ELDER_PHONE, password=PASSWORD)) == "LOGIN_LOCKED"
    assert PhoneAccount.objects.get(phone_index=phone_index(ELDER_PHONE)).locked_until == NOON + timedelta(minutes=15)
    frozen_clock(NOON + timedelta(minutes=15, seconds=1))
    assert services.account_login(phone=ELDER_PHONE, password=PASSWORD) == account
    # The other account was never affected.
    assert services.account_login(phone=FAMILY_PHONE, password=PASSWORD)


def test_unknown_numbers_lock_alike(world, noon):
    for _ in range(4):
        assert code_of(lambda: services.account_login(phone="13612345678", password="x")) == "LOGIN_FAILED"
    assert code_of(lambda: services.account_login(phone="13612345678", password="x")) == "LOGIN_LOCKED"


def test_inactive_or_not_activated_accounts_cannot_log_in(world, staff, phones, noon):
    PhoneAccount.objects.filter(phone_index=phone_index(FAMILY_PHONE)).update(is_active=False)
    assert code_of(lambda: services.account_login(phone=FAMILY_PHONE, password=PASSWORD)) == "LOGIN_FAILED"
    services.binding_create(actor=staff, elder_id=phones.second.pk, phone="13700000000", relation="self")
    assert code_of(lambda: services.account_login(phone="13700000000", password="")) == "LOGIN_FAILED"
    assert code_of(lambda: services.account_login(phone="1370000", password="x")) == "PHONE_INVALID"


def test_account_numbers_are_stored_encrypted_and_sms_rows_keep_only_an_index(world, phones, noon):
    from django.db import connection

    services.sms_code_send(phone=ELDER_PHONE)
    services.sms_code_send(phone="13612345678")  # no account: the rate-limit row alone
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM elderphone_phoneaccount")
        accounts = " ".join(str(v) for row in cur.fetchall() for v in row)
        cur.execute("SELECT * FROM elderphone_smscode")
        codes = " ".join(str(v) for row in cur.fetchall() for v in row)
    for number in (ELDER_PHONE, FAMILY_PHONE, "13612345678"):
        assert number not in accounts and number not in codes
    assert PhoneAccount.objects.get(phone_index=phone_index(ELDER_PHONE)).phone == ELDER_PHONE
    assert services.account_login(phone=ELDER_PHONE, password=PASSWORD) == phones.elder_account
