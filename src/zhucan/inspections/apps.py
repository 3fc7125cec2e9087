from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "zhucan.inspections"
    label = "inspections"
    verbose_name = "双随机检查"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register

        by_region = Scope("inspection", ("region__path",), canteen_field=None)
        register("inspections.plan", by_region)
        register("inspections.inspector", by_region)
        register("inspections.checkitem", by_region)
        register("inspections.inspection", Scope("inspection", ("canteen__region__path",), canteen_field=None))
