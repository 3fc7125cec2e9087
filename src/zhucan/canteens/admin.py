from django.contrib import admin

from zhucan.canteens.models import Canteen, Dish, MealPeriod
from zhucan.core.admin import SuperuserOnlyAdmin


class PeriodInline(admin.TabularInline):
    model = MealPeriod
    extra = 0


class DishInline(admin.TabularInline):
    model = Dish
    extra = 0


@admin.register(Canteen)
class CanteenAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "canteen_type", "area", "region", "status", "opening_date")
    list_filter = ("canteen_type", "area", "status")
    search_fields = ("name", "operator")
    inlines = [PeriodInline, DishInline]
