from django.contrib import admin

from zhucan.core.admin import SuperuserOnlyAdmin
from zhucan.elders.models import Elder, Tag


@admin.register(Elder)
class ElderAdmin(SuperuserOnlyAdmin):
    """ID numbers appear masked only; the console's audited reveal is the way to see one."""

    list_display = ("name", "id_number_masked", "sex", "birth_date", "community", "status", "verification")
    list_filter = ("status", "verification", "sex")
    search_fields = ("name", "id_number_masked")
    exclude = ("id_number_encrypted", "id_number_index")
    readonly_fields = ("id_number_masked", "birth_date", "sex")


@admin.register(Tag)
class TagAdmin(SuperuserOnlyAdmin):
    list_display = ("code", "name", "region")
