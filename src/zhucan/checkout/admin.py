from django.contrib import admin

from zhucan.checkout.models import Meal, ReportMismatch
from zhucan.core.admin import ReadOnlyAdmin


@admin.register(Meal)
class MealAdmin(ReadOnlyAdmin):
    list_display = ("receipt_no", "kind", "canteen", "elder", "at", "gross_fen", "benefit_fen", "payable_fen")
    list_filter = ("kind", "mode", "identified_by")
    search_fields = ("receipt_no",)


@admin.register(ReportMismatch)
class ReportMismatchAdmin(ReadOnlyAdmin):
    list_display = ("meal", "status", "resolved_by", "resolved_at")
