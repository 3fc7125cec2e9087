"""The phone page's own login, kept apart from the console's.

The H5 identity lives under its own session keys (`h5_account_id`, `h5_auth`), never in Django's
auth keys: a console login does not open the phone page and an H5 login does not open the
console. Every request re-reads the account, so a deactivated account, a changed password (the
`h5_auth` digest of the password hash no longer matches) or — per elder — a revoked binding
loses access at once.
"""

from __future__ import annotations

from functools import wraps

from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.crypto import constant_time_compare, salted_hmac

from zhucan.elderphone.models import PhoneAccount

SESSION_KEY = "h5_account_id"
AUTH_KEY = "h5_auth"


def _auth_digest(account: PhoneAccount) -> str:
    return salted_hmac("zhucan.elderphone.session", account.password, algorithm="sha256").hexdigest()


def h5_login(request, account: PhoneAccount) -> None:
    """Start the phone-page session (a fresh session id against fixation; console keys, if any,
    are left as they are)."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = account.pk
    request.session[AUTH_KEY] = _auth_digest(account)


def h5_logout(request) -> None:
    for key in (SESSION_KEY, AUTH_KEY):
        request.session.pop(key, None)
    request.session.cycle_key()


def h5_account(request) -> PhoneAccount | None:
    """The logged-in phone account, or None (never logged in, deactivated, password changed)."""
    pk = request.session.get(SESSION_KEY)
    if not isinstance(pk, int):
        return None
    account = PhoneAccount.objects.filter(pk=pk, is_active=True).first()
    if account is None or not account.password:
        return None
    if not constant_time_compare(request.session.get(AUTH_KEY, ""), _auth_digest(account)):
        return None
    return account


def h5_login_required(view=None, *, json: bool = False):
    """Sets `request.h5_account`; otherwise the login page (or a 401 JSON answer)."""

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            account = h5_account(request)
            if account is None:
                if SESSION_KEY in request.session:
                    h5_logout(request)
                if json:
                    return JsonResponse({"code": "LOGIN_REQUIRED", "message": "请重新登录",
                                         "message_en": "log in again"}, status=401)
                return redirect("h5:login")
            request.h5_account = account
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
