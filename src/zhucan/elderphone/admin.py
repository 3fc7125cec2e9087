from django.contrib import admin

from zhucan.elderphone.models import Binding, PhoneAccount


@admin.register(PhoneAccount)
class PhoneAccountAdmin(admin.ModelAdmin):
    """Deactivating an account (is_active) ends its phone-page access at the next request."""

    list_display = ("phone_masked", "display_name", "is_active", "activated", "last_login_at")
    list_filter = ("is_active",)
    fields = ("display_name", "is_active", "failed_logins", "locked_until", "created_at", "last_login_at")
    readonly_fields = ("failed_logins", "created_at", "last_login_at")

    def has_add_permission(self, request):
        return False  # accounts are made by binding on the elder's page


@admin.register(Binding)
class BindingAdmin(admin.ModelAdmin):
    list_display = ("account", "elder", "relation", "bound_at", "revoked_at")
    readonly_fields = ("account", "elder", "relation", "bound_by", "bound_at", "revoked_at", "revoked_by")

    def has_add_permission(self, request):
        return False
