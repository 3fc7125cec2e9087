"""Terminal keys: register a cashier terminal or vendor POS to one canteen, revoke it. Each write is
one transaction with its audit row; the secret is shown once and stored only encrypted."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction

from zhucan.accounts.models import Terminal
from zhucan.accounts.permissions import has_perm
from zhucan.accounts.scoping import restrict
from zhucan.api.auth import SECRET_CONTEXT
from zhucan.canteens.models import Canteen
from zhucan.core import clock, crypto
from zhucan.core.audit import audit_record
from zhucan.core.errors import DomainError, NotFound, PermissionDenied


@dataclass(frozen=True)
class Registered:
    terminal: Terminal
    secret: str  # plaintext, for the one answer that shows it


def _check_actor(actor, canteen: Canteen) -> None:
    """None is the platform operator at the command line; a user needs the terminal permission and
    the canteen within their jurisdiction."""
    if actor is None:
        return
    if not has_perm(actor, "terminal", "manage"):
        raise PermissionDenied("管理收银终端", "manage terminals")
    if not restrict(Canteen.objects.all(), actor, "view").filter(pk=canteen.pk).exists():
        raise NotFound("助餐点", "canteen")


def terminal_register(*, actor, canteen: Canteen, name: str, vendor: str = "", ip: str | None = None) -> Registered:
    """Register a terminal to one canteen (HZ-F4, HZ-F5): a fresh key id and secret."""
    name, vendor = name.strip(), vendor.strip()
    if not name:
        raise DomainError("TERMINAL_NAME_REQUIRED", "请填写终端名称", "a terminal name is required", field="name")
    _check_actor(actor, canteen)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        terminal = Terminal.objects.create(
            canteen=canteen, name=name[:60], vendor=vendor[:60], key_id="tk_" + secrets.token_hex(12),
            secret_encrypted=crypto.encrypt(secret, context=SECRET_CONTEXT), created_at=clock.now(),
        )
        audit_record(actor=actor, action="terminal.register", obj=terminal, region_path=canteen.region.path,
                     after={"canteen": canteen.pk, "name": terminal.name, "vendor": terminal.vendor,
                            "key_id": terminal.key_id}, ip=ip)
    return Registered(terminal, secret)


def terminal_revoke(*, actor, key_id: str, ip: str | None = None) -> Terminal:
    """Revoke a terminal's key from now on; its meals stay in the ledger."""
    with transaction.atomic():
        terminal = Terminal.objects.select_for_update(of=("self",)).select_related("canteen__region").filter(
            key_id=key_id.strip()).first()
        if terminal is None:
            raise NotFound("终端", "terminal")
        _check_actor(actor, terminal.canteen)
        if terminal.revoked_at is None:
            terminal.revoked_at = clock.now()
            terminal.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action="terminal.revoke", obj=terminal,
                         region_path=terminal.canteen.region.path,
                         after={"revoked_at": terminal.revoked_at.isoformat()}, ip=ip)
    return terminal
