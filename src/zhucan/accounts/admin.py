from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from zhucan.accounts.models import Terminal, User
from zhucan.core.admin import ReadOnlyAdmin, SuperuserOnlyAdmin


class UserAdminForm(forms.ModelForm):
    """The phone is a sealed property, not a model field: edited here as plain text, stored encrypted."""

    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)

    class Meta:
        model = User
        fields = ("username", "display_name", "role", "region", "canteen", "first_name", "last_name", "email",
                  "is_active", "is_staff", "is_superuser", "last_login", "date_joined")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["phone"].initial = self.instance.phone

    def save(self, commit=True):
        self.instance.phone = self.cleaned_data.get("phone", "")
        return super().save(commit=commit)


@admin.register(User)
class UserAdmin(SuperuserOnlyAdmin):
    form = UserAdminForm
    list_display = ("username", "display_name", "role", "region", "canteen", "is_active", "is_superuser")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name")
    exclude = ("password", "user_permissions", "groups")


@admin.register(Terminal)
class TerminalAdmin(ReadOnlyAdmin):
    list_display = ("name", "key_id", "canteen", "vendor", "created_at", "revoked_at", "last_seen_at")
    exclude = ("secret_encrypted",)
