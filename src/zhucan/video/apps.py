from django.apps import AppConfig


class VideoConfig(AppConfig):
    name = "zhucan.video"
    label = "video"
    verbose_name = "阳光厨房与就餐区视频"
    default_auto_field = "django.db.models.BigAutoField"
