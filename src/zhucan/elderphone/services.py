"""Writes of the elder phone page (H5): binding phone accounts to elders (console staff), SMS
codes, setting a password with a code, and logging in (the phone page).

Staff writes follow the console's rules: scoped to the elders the actor may change
(`get_scoped(..., "change")`), one transaction, an audit row inside it. Writes by the phone user
(password set) are audited too, with the masked phone as the actor. Refusals are DomainErrors with
the stable codes of `zhucan.elderphone.errors`.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare

from zhucan.accounts import throttle
from zhucan.accounts.scoping import get_scoped
from zhucan.core import clock, crypto
from zhucan.core.audit import audit_record, snapshot
from zhucan.core.errors import DomainError
from zhucan.elderphone import sms
from zhucan.elderphone.errors import phone_error
from zhucan.elderphone.models import Binding, PhoneAccount, Relation, SmsCode, SmsPurpose
from zhucan.elderphone.phones import phone_index, phone_mask, phone_normalise
from zhucan.elders.models import Elder

CODE_LIFETIME = timedelta(minutes=5)
CODE_MAX_ATTEMPTS = 5
SEND_INTERVAL = timedelta(seconds=60)  # one code per phone per minute
SEND_PER_DAY = 10  # codes per phone per 24 hours
SEND_PER_IP_HOUR = 30  # codes requested from one address per hour (any phone)
PASSWORD_MIN_LENGTH = 8
BINDING_AUDITED = ["account", "elder", "relation", "bound_by", "bound_at", "revoked_at", "revoked_by"]
_CODE_PURPOSE = "elderphone.sms_code"


def _staff(actor):
    return actor if getattr(actor, "pk", None) else None


def _phone_actor(account: PhoneAccount) -> SimpleNamespace:
    """How a phone user appears in the audit log (not a console user): 'h5:138****1234'."""
    return SimpleNamespace(pk=None, username=f"h5:{account.phone_masked}")


def _account_region_path(account: PhoneAccount) -> str:
    """Audit rows about an account land where its (first) elder lives, so that the staff who look
    after that elder see them."""
    binding = (Binding.objects.filter(account=account).select_related("elder__community")
               .order_by("revoked_at", "bound_at").first())
    return binding.elder.community.path if binding else ""


# ---------------------------------------------------------------------------------------------
# Bindings (console)


@dataclass
class BindResult:
    binding: Binding
    account_created: bool
    sms: str  # "activation" | "notice" | "skipped" | "failed" | "none"


def binding_create(*, actor, elder_id: int, phone: str, relation: str, display_name: str = "",
                   ip: str | None = None, notify: bool = True) -> BindResult:
    """Bind a phone account to an elder (creating the account if the number is new). A new or not
    yet activated account gets an activation SMS with a code; an activated one a short notice.
    The SMS is sent after the binding is saved: a failed SMS never undoes it (staff can ask the
    person to use "首次登录/忘记密码")."""
    phone = phone_normalise(phone)
    if relation not in Relation.values:
        raise phone_error("RELATION_INVALID", field="relation")
    elder = get_scoped(Elder.objects.select_related("community"), actor, "change", what_zh="老人", what_en="elder",
                       pk=elder_id)
    display_name = (display_name or "").strip()[:50]
    if relation == Relation.SELF:
        display_name = display_name or elder.name
    elif not display_name:
        raise phone_error("NAME_REQUIRED", field="display_name")
    now = clock.now()
    with transaction.atomic():
        account = PhoneAccount.objects.select_for_update().filter(phone_index=phone_index(phone)).first()
        created = account is None
        if created:
            try:
                with transaction.atomic():
                    account = PhoneAccount.objects.create(phone=phone, display_name=display_name, created_at=now,
                                                          created_by=_staff(actor))
            except IntegrityError:  # created meanwhile by a concurrent request
                created = False
                account = PhoneAccount.objects.select_for_update().get(phone_index=phone_index(phone))
        if not account.is_active:
            raise phone_error("ACCOUNT_INACTIVE", field="phone")
        active = Binding.objects.filter(revoked_at__isnull=True)
        if active.filter(account=account, elder=elder).exists():
            raise phone_error("BINDING_EXISTS", field="phone")
        if relation == Relation.SELF:
            if active.filter(elder=elder, relation=Relation.SELF).exists():
                raise phone_error("SELF_BINDING_EXISTS", field="relation")
            if active.filter(account=account, relation=Relation.SELF).exists():
                raise phone_error("ACCOUNT_IS_SELF_ELSEWHERE", field="relation")
        if not account.display_name:
            account.display_name = display_name
            account.save(update_fields=["display_name"])
        try:
            with transaction.atomic():
                binding = Binding.objects.create(account=account, elder=elder, relation=relation,
                                                 bound_by=_staff(actor), bound_at=now)
        except IntegrityError as exc:  # a concurrent bind won the race
            raise phone_error("BINDING_EXISTS", field="phone") from exc
        path = elder.community.path
        if created:
            audit_record(actor=actor, action="elderphone.account_create", obj=account, region_path=path,
                         object_repr=str(account), after={"phone_masked": account.phone_masked,
                                                          "display_name": account.display_name}, ip=ip)
        audit_record(actor=actor, action="elderphone.bind", obj=binding, region_path=path,
                     object_repr=f"{account} → {elder.name}", after=snapshot(binding, BINDING_AUDITED), ip=ip)
    outcome = "none"
    if notify:
        outcome = _notify_bound(account=account, elder=elder, ip=ip)
    return BindResult(binding=binding, account_created=created, sms=outcome)


def _notify_bound(*, account: PhoneAccount, elder: Elder, ip: str | None) -> str:
    try:
        if not account.activated:
            _code_issue(phone=account.phone, account=account, purpose=SmsPurpose.ACTIVATE, ip=ip,
                        extra={"name": account.display_name})
            return "activation"
        sms.get_backend().send(account.phone, "H5_BOUND", {"name": account.display_name, "elder": elder.name})
        return "notice"
    except DomainError as exc:
        # Too frequent: the code sent a moment ago (e.g. for the family's other elder) still works.
        return "skipped" if exc.code in ("SMS_TOO_FREQUENT", "SMS_DAILY_LIMIT") else "failed"
    except sms.SmsSendError:
        return "failed"


def binding_revoke(*, actor, binding_id: int, elder_id: int | None = None, ip: str | None = None) -> Binding:
    """Revoke a binding: from the next request on the account no longer reaches the elder.
    With `elder_id`, a binding of another elder is not found (the console URL names both)."""
    lookup = {"pk": binding_id} if elder_id is None else {"pk": binding_id, "elder_id": elder_id}
    binding = get_scoped(Binding.objects.select_related("elder__community", "account"), actor, "change",
                         what_zh="绑定", what_en="binding", **lookup)
    with transaction.atomic():
        binding = Binding.objects.select_for_update().select_related("elder__community", "account").get(
            pk=binding.pk)
        if binding.revoked_at is not None:
            raise phone_error("BINDING_REVOKED")
        before = snapshot(binding, BINDING_AUDITED)
        binding.revoked_at = clock.now()
        binding.revoked_by = _staff(actor)
        binding.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(actor=actor, action="elderphone.revoke", obj=binding, region_path=binding.elder.community.path,
                     object_repr=f"{binding.account} → {binding.elder.name}", before=before,
                     after=snapshot(binding, BINDING_AUDITED), ip=ip)
    return binding


# ---------------------------------------------------------------------------------------------
# SMS codes


def _code_hash(*, salt: str, phone: str, code: str) -> str:
    # Keyed (the index key): a leaked table does not let anyone try the million codes offline.
    return crypto.blind_index(f"{salt}:{phone}:{code}", purpose=_CODE_PURPOSE)


def _check_send_rate(*, phone: str, ip: str | None, now) -> None:
    recent = SmsCode.objects.filter(phone_index=phone_index(phone), created_at__gt=now - timedelta(days=1))
    latest = recent.order_by("-created_at").values_list("created_at", flat=True).first()
    if latest is not None and now - latest < SEND_INTERVAL:
        wait = SEND_INTERVAL - (now - latest)
        raise phone_error("SMS_TOO_FREQUENT", field="phone", seconds=max(1, int(wait.total_seconds() + 0.999)))
    if recent.count() >= SEND_PER_DAY:
        raise phone_error("SMS_DAILY_LIMIT", field="phone")
    if ip and SmsCode.objects.filter(ip=ip, created_at__gt=now - timedelta(hours=1)).count() >= SEND_PER_IP_HOUR:
        raise phone_error("SMS_TOO_FREQUENT", field="phone", seconds=3600)


def _code_issue(*, phone: str, account: PhoneAccount | None, purpose: str, ip: str | None,
                extra: dict | None = None) -> SmsCode:
    """Rate-limit, store the hashed code, send it (only to an existing, active account)."""
    now = clock.real_now()
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    deliver = account is not None and account.is_active
    with transaction.atomic():
        if account is not None:
            PhoneAccount.objects.select_for_update().filter(pk=account.pk).first()  # one sender at a time
        _check_send_rate(phone=phone, ip=ip, now=now)
        row = SmsCode.objects.create(phone_index=phone_index(phone), account=account if deliver else None,
                                     purpose=purpose, code_hash=_code_hash(salt=salt, phone=phone, code=code),
                                     salt=salt, created_at=now, expires_at=now + CODE_LIFETIME, delivered=deliver,
                                     ip=ip)
    if deliver:
        template = "H5_ACTIVATE" if purpose == SmsPurpose.ACTIVATE else "H5_RESET"
        params = {"code": code, "name": account.display_name or "", **(extra or {})}
        try:
            row.message_id = sms.get_backend().send(phone, template, params)[:64]
        except sms.SmsSendError as exc:
            SmsCode.objects.filter(pk=row.pk).update(delivered=False, expires_at=now)  # unusable, not counted
            raise phone_error("SMS_SEND_FAILED") from exc
        SmsCode.objects.filter(pk=row.pk).update(message_id=row.message_id)
    return row


def sms_code_send(*, phone: str, ip: str | None = None) -> str:
    """The phone page's "首次登录/忘记密码": send a 6-digit code to the number (an account not yet
    activated gets the activation text, an activated one the reset text). Returns the masked
    number. An unknown or deactivated number gets the same answer and rate limits, but nothing is
    sent, so the page does not reveal who has an account."""
    phone = phone_normalise(phone)
    account = PhoneAccount.objects.filter(phone_index=phone_index(phone)).first()
    purpose = SmsPurpose.RESET if account is not None and account.activated else SmsPurpose.ACTIVATE
    _code_issue(phone=phone, account=account, purpose=purpose, ip=ip)
    return phone_mask(phone)


def password_check(password: str, *, phone: str) -> None:
    """Elders' passwords: at least 8 characters, not the phone number, not a common password
    (Django's list), not one repeated character. Lockout after 5 failures does the rest."""
    weak = (len(password) < PASSWORD_MIN_LENGTH or password in (phone, phone[-8:]) or len(set(password)) == 1)
    if not weak:
        try:
            CommonPasswordValidator().validate(password)
        except ValidationError:
            weak = True
    if weak:
        raise phone_error("PASSWORD_WEAK", field="password")


def _password_store(account: PhoneAccount, raw: str, now) -> None:
    account.password = make_password(raw)
    account.password_set_at = now
    account.failed_logins = 0
    account.locked_until = None
    account.save(update_fields=["password", "password_set_at", "failed_logins", "locked_until"])


def password_set_with_code(*, phone: str, code: str, password: str, password2: str,
                           ip: str | None = None) -> PhoneAccount:
    """Set (first time) or reset the password with the latest SMS code: right code, within 5
    minutes, at most 5 tries, once. Also lifts a login lock (the person proved the phone is theirs)."""
    phone = phone_normalise(phone)
    if password != password2:
        raise phone_error("PASSWORD_MISMATCH", field="password2")
    password_check(password, phone=phone)
    code = (code or "").strip()
    now = clock.real_now()
    error: str | None = None
    with transaction.atomic():
        row = (SmsCode.objects.select_for_update().filter(phone_index=phone_index(phone))
               .order_by("-created_at", "-id").first())
        if row is None:
            error = "SMS_CODE_WRONG"
        elif row.used_at is not None or row.expires_at <= now:
            error = "SMS_CODE_EXPIRED"
        elif row.attempts >= CODE_MAX_ATTEMPTS:
            error = "SMS_CODE_ATTEMPTS"
        else:
            right = constant_time_compare(row.code_hash, _code_hash(salt=row.salt, phone=phone, code=code))
            if not right or row.account_id is None:
                row.attempts += 1
                row.save(update_fields=["attempts"])  # kept: the block commits, the error is raised after
                error = "SMS_CODE_WRONG" if row.attempts < CODE_MAX_ATTEMPTS else "SMS_CODE_ATTEMPTS"
            else:
                account = PhoneAccount.objects.select_for_update().get(pk=row.account_id)
                if not account.is_active:
                    error = "ACCOUNT_INACTIVE"
                else:
                    row.used_at = now
                    row.save(update_fields=["used_at"])
                    first = not account.activated
                    _password_store(account, password, now)
                    audit_record(actor=_phone_actor(account),
                                 action="elderphone.password_set" if first else "elderphone.password_reset",
                                 obj=account, object_repr=str(account), region_path=_account_region_path(account),
                                 after={"phone_masked": account.phone_masked, "by": "sms_code"}, ip=ip)
    if error is not None:
        raise phone_error(error, field="code" if error.startswith("SMS_") else None)
    throttle.record_success(_throttle_name(phone))
    return account


def account_set_password(*, account: PhoneAccount, password: str) -> PhoneAccount:
    """Set a password without a code: for the demo seed and tests only (no view calls it)."""
    password_check(password, phone=account.phone)
    _password_store(account, password, clock.real_now())
    return account


# ---------------------------------------------------------------------------------------------
# Login (phone page)


def _throttle_name(phone: str) -> str:
    # Console usernames cannot contain ":", so these keys never meet a staff user's.
    return f"h5:{phone}"


def _lock_minutes(until, now) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def account_login(*, phone: str, password: str, ip: str | None = None) -> PhoneAccount:
    """Check phone + password. Five failures lock the account for ZHUCAN_LOGIN_LOCK_MINUTES (as
    the console login does); unknown numbers and client addresses are throttled the same way
    through `accounts.throttle`, so the answers never reveal whether a number has an account."""
    phone = phone_normalise(phone)
    now = clock.real_now()
    limit = settings.ZHUCAN_LOGIN_MAX_FAILURES
    window = timedelta(minutes=settings.ZHUCAN_LOGIN_LOCK_MINUTES)
    account = PhoneAccount.objects.filter(phone_index=phone_index(phone)).first()
    until = throttle.locked_until(_throttle_name(phone), ip)
    if account is not None and account.locked_until and account.locked_until > now:
        until = max(until or now, account.locked_until)
    if until is not None:
        raise phone_error("LOGIN_LOCKED", minutes=_lock_minutes(until, now))
    if account is None or not account.activated:
        make_password(password)  # the same work as a real check: no timing hint
        ok = False
    else:
        ok = check_password(password, account.password) and account.is_active
    if not ok:
        throttle.record_failure(_throttle_name(phone), ip)
        locked = None
        if account is not None:
            with transaction.atomic():
                account = PhoneAccount.objects.select_for_update().get(pk=account.pk)
                if account.last_failed_at and now - account.last_failed_at > window:
                    account.failed_logins = 0
                account.failed_logins += 1
                account.last_failed_at = now
                if account.failed_logins >= limit:
                    account.locked_until = locked = now + window
                    account.failed_logins = 0
                account.save(update_fields=["failed_logins", "last_failed_at", "locked_until"])
        locked = locked or throttle.locked_until(_throttle_name(phone), ip)
        if locked is not None:
            raise phone_error("LOGIN_LOCKED", minutes=_lock_minutes(locked, now))
        raise phone_error("LOGIN_FAILED")
    throttle.record_success(_throttle_name(phone))
    PhoneAccount.objects.filter(pk=account.pk).update(failed_logins=0, locked_until=None, last_login_at=now)
    account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
    return account
