"""Writes to users and roles. A role is granted only within the granter's own jurisdiction and
never above their own role."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from zhucan.accounts.models import CANTEEN_ROLES, ROLE_LEVEL, Role, User
from zhucan.accounts.permissions import GRANTABLE_ROLES, has_perm
from zhucan.accounts.scoping import get_scoped, restrict
from zhucan.canteens.models import Canteen
from zhucan.core.audit import audit_record, snapshot
from zhucan.core.errors import DomainError, PermissionDenied
from zhucan.regions.models import Region

USER_FIELDS = ["username", "display_name", "role", "region", "canteen", "is_active"]


def _audited(user: User) -> dict:
    """The audit picture of a user, the phone masked: the audit log is read by auditors and
    administrators, and the number is personal data."""
    return {**snapshot(user, USER_FIELDS), "phone": user.phone_masked}


def _err(code: str, zh: str, en: str, field: str) -> DomainError:
    return DomainError(code=code, message_zh=zh, message_en=en, field=field)


def _check_assignment(*, actor, role: str, region: Region | None, canteen: Canteen | None) -> None:
    if not actor.is_superuser and role not in GRANTABLE_ROLES.get(actor.role, frozenset()):
        raise _err("USER_ROLE_NOT_GRANTABLE", "您不能授予该角色", "you may not grant this role", "role")
    if role in CANTEEN_ROLES:
        if canteen is None:
            raise _err("USER_CANTEEN_REQUIRED", "助餐点角色须指定所属助餐点", "choose the canteen", "canteen")
        if not restrict(Canteen.objects.all(), actor, "view").filter(pk=canteen.pk).exists():
            raise _err("USER_CANTEEN_REQUIRED", "请选择您辖区内的助餐点", "choose a canteen in your "
                       "jurisdiction", "canteen")
        return
    if region is None:
        raise _err("USER_REGION_REQUIRED", "请指定所属辖区", "choose the jurisdiction", "region")
    expected = ROLE_LEVEL.get(role)
    if expected and region.level != expected:
        raise _err("USER_REGION_LEVEL", "所属辖区的层级与角色不符", "the jurisdiction's level does not "
                   "fit the role", "region")
    if not actor.is_superuser and not region.path.startswith(actor.region.path):
        raise _err("USER_REGION_REQUIRED", "请选择您辖区内的区划", "choose a node within your "
                   "jurisdiction", "region")


def user_create(*, actor, username: str, password: str, role: str, region: Region | None = None,
                canteen: Canteen | None = None, display_name: str = "", phone: str = "",
                ip: str | None = None) -> User:
    """Create a console user bound to a node of the tree or to a canteen."""
    if not has_perm(actor, "user", "create"):
        raise PermissionDenied("新建用户", "create users")
    if role not in Role.values:
        raise _err("USER_BAD_ROLE", "未知角色", "unknown role", "role")
    _check_assignment(actor=actor, role=role, region=region, canteen=canteen)
    username = username.strip()
    if not username:
        raise _err("USER_USERNAME_REQUIRED", "请填写用户名", "username is required", "username")
    if User.objects.filter(username__iexact=username).exists():
        raise _err("USER_DUPLICATE", "用户名已存在", "username is taken", "username")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise _err("USER_WEAK_PASSWORD", "；".join(exc.messages), "password too weak", "password") from exc
    with transaction.atomic():
        user = User(username=username, role=role, display_name=display_name, phone=phone,
                    region=None if role in CANTEEN_ROLES else region,
                    canteen=canteen if role in CANTEEN_ROLES else None)
        user.set_password(password)
        user.save()
        audit_record(actor=actor, action="user.create", obj=user, region_path=user.scope_path or "",
                     after=_audited(user), ip=ip)
    return user


def user_update(*, actor, user_id: int, role: str, region: Region | None, canteen: Canteen | None,
                display_name: str, phone: str, is_active: bool, ip: str | None = None) -> User:
    with transaction.atomic():
        user = get_scoped(User.objects.select_for_update(of=("self",)), actor, "change", pk=user_id,
                          what_zh="用户", what_en="user")
        if user.pk == actor.pk and (role != user.role or not is_active):
            raise _err("USER_SELF_DEMOTION", "不能修改自己的角色或停用自己", "you cannot change your own "
                       "role or deactivate yourself", "role")
        if not actor.is_superuser and user.role not in GRANTABLE_ROLES.get(actor.role, frozenset()):
            raise PermissionDenied("修改该用户", "change this user")
        _check_assignment(actor=actor, role=role, region=region, canteen=canteen)
        before = _audited(user)
        user.role, user.display_name, user.phone, user.is_active = role, display_name, phone, is_active
        user.region = None if role in CANTEEN_ROLES else region
        user.canteen = canteen if role in CANTEEN_ROLES else None
        user.save()
        audit_record(actor=actor, action="user.update", obj=user, region_path=user.scope_path or "",
                     before=before, after=_audited(user), ip=ip)
    return user
