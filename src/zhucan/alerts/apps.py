from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "zhucan.alerts"
    label = "alerts"
    verbose_name = "预警"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register
        from zhucan.alerts import detectors

        # An alert lives under the most precise region known (the canteen's, else the elder's
        # community): the city and the district see it, the subdistrict of that area too; canteen
        # staff never (canteen_field None).
        register("alerts.alert", Scope("alert", ("region_path",), canteen_field=None))
        detectors.register_all()
