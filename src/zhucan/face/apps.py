from django.apps import AppConfig


class FaceConfig(AppConfig):
    name = "zhucan.face"
    label = "face"
    verbose_name = "人脸识别"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register
        from zhucan.face import signals  # noqa: F401 - connects the index clean-up on deletion

        by_elder = Scope("elder", ("elder__community__path",), canteen_field=None)
        register("face.faceconsent", by_elder)
        register("face.faceenrolment", by_elder)
        register("face.facecanteensetting", Scope("canteen", ("canteen__region__path",), canteen_field="canteen_id"))
