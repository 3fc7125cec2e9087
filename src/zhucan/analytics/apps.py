from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "zhucan.analytics"
    label = "analytics"
    verbose_name = "数据看板"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register

        # The roll-ups are read on the dashboards only: a region-bound user sees the rows under their
        # node (canteen rows by the canteen's path, elder rows by the elder's community path), canteen
        # staff their own canteen's rows.
        by_canteen = Scope("dashboard", ("region_path",), canteen_field="canteen_id")
        by_elder = Scope("dashboard", ("region_path",), canteen_field=None)
        register("checkout.canteendayrollup", by_canteen)
        register("checkout.benefitruledayrollup", by_canteen)
        register("checkout.canteenmonthrollup", by_canteen)
        register("checkout.benefitrulemonthrollup", by_canteen)
        register("checkout.canteenmonthtotalrollup", by_canteen)
        register("checkout.eldermonthrollup", by_elder)
        register("checkout.communitydayrollup", by_elder)
        # The district roll-ups: region-bound users only (a canteen's staff read their canteen's rows).
        register("checkout.districtdayrollup", by_elder)
        register("checkout.districtmonthrollup", by_elder)
        register("checkout.districtresidentdayrollup", by_elder)
        register("checkout.elderyearrollup", by_elder)
