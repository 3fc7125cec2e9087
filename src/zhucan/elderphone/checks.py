"""A deployment check: a platform that sends no real SMS cannot activate phone accounts."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register

DEFAULT_BACKEND = "zhucan.elderphone.sms.ConsoleSmsBackend"


@register(deploy=True)
def sms_backend_is_real(app_configs, **kwargs):
    path = getattr(settings, "ZHUCAN_SMS_BACKEND", DEFAULT_BACKEND)
    if path == DEFAULT_BACKEND:
        return [Warning("ZHUCAN_SMS_BACKEND is the console backend: no SMS is really sent",
                        hint="set ZHUCAN_SMS_BACKEND to the dotted path of a provider adapter",
                        id="elderphone.W001")]
    return []
