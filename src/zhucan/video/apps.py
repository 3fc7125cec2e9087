from django.apps import AppConfig


class VideoConfig(AppConfig):
    name = "zhucan.video"
    label = "video"
    verbose_name = "阳光厨房与就餐区视频"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from zhucan.accounts.scoping import Scope, register

        by_canteen = Scope("video_device", ("canteen__region__path",), canteen_field="canteen_id")
        register("video.device", by_canteen)
        register("video.channel", by_canteen)
        register("video.playbackcheck", by_canteen)
        register("video.channelstatuschange", Scope("video_device", ("channel__canteen__region__path",),
                                                    canteen_field="channel__canteen_id"))

        from zhucan.alerts.rules import register_rule
        from zhucan.filing.checks import register_check
        from zhucan.filing.models import Requirement
        from zhucan.video import checks
        from zhucan.video.api import install

        register_check(Requirement.F2, checks.check_sunshine_kitchen)
        register_check(Requirement.F8, checks.check_dining_video)
        register_rule("video.channel_dark", title_zh="视频画面中断", title_en="Video channel dark",
                      defaults={"minutes": 30},
                      params_help_zh={"minutes": "供餐时段内画面连续中断超过多少分钟即预警"})
        register_rule("video.playback_failing", title_zh="录像回放核验未通过", title_en="Playback check failing",
                      defaults={})
        register_rule("video.ai_event", title_zh="后厨智能分析告警", title_en="Kitchen AI-box event",
                      defaults={})
        install()
