from django.contrib import admin

from zhucan.accounts.models import Terminal, User
from zhucan.core.admin import ReadOnlyAdmin, SuperuserOnlyAdmin


@admin.register(User)
class UserAdmin(SuperuserOnlyAdmin):
    list_display = ("username", "display_name", "role", "region", "canteen", "is_active", "is_superuser")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name")
    exclude = ("password", "user_permissions", "groups")


@admin.register(Terminal)
class TerminalAdmin(ReadOnlyAdmin):
    list_display = ("name", "key_id", "canteen", "vendor", "created_at", "revoked_at", "last_seen_at")
    exclude = ("secret_encrypted",)
