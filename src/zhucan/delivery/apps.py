from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "zhucan.delivery"
    label = "delivery"
    verbose_name = "送餐配送"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from zhucan.elderphone import sms

        sms.TEMPLATES.setdefault("COURIER_LOGIN", "【智慧助餐】送餐员登录验证码{code}，5分钟内有效。")
        sms.TEMPLATES.setdefault("DELIVERY_DONE", "【智慧助餐】{elder}的{period}已于{time}送达。")
        sms.TEMPLATES.setdefault("DELIVERY_FAILED",
                                "【智慧助餐】{elder}的{period}未能送达：{reason}。请联系{canteen}。")
