"""Production: every secret must come from the environment; refuses to start without them."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, env_bool


def _required(name: str) -> str:
    value = env(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production")
    return value


DEBUG = False
if env("ZHUCAN_CLOCK_START") and not env_bool("ZHUCAN_ALLOW_SIMULATED_CLOCK", False):
    raise ImproperlyConfigured("ZHUCAN_CLOCK_START (a simulated clock) is not allowed in production")
SECRET_KEY = _required("ZHUCAN_SECRET_KEY")
ZHUCAN_DATA_KEY = _required("ZHUCAN_DATA_KEY")
ZHUCAN_INDEX_KEY = _required("ZHUCAN_INDEX_KEY")
SESSION_COOKIE_SECURE = env_bool("ZHUCAN_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("ZHUCAN_SECURE_COOKIES", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
