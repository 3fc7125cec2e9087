from django.contrib import admin

from zhucan.core.admin import SuperuserOnlyAdmin
from zhucan.regions.models import Region


@admin.register(Region)
class RegionAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "code", "level", "area", "policy_id", "path")
    list_filter = ("level",)
    search_fields = ("name", "code")
