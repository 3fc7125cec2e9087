"""Local development and the demo: SQLite unless DATABASE_URL says otherwise."""

from .base import *  # noqa: F403
from .base import dev_secrets, env, env_bool

DEBUG = env_bool("ZHUCAN_DEBUG", True)
_secrets = dev_secrets()
SECRET_KEY = env("ZHUCAN_SECRET_KEY") or _secrets["ZHUCAN_SECRET_KEY"]
ZHUCAN_DATA_KEY = env("ZHUCAN_DATA_KEY") or _secrets["ZHUCAN_DATA_KEY"]
ZHUCAN_INDEX_KEY = env("ZHUCAN_INDEX_KEY") or _secrets["ZHUCAN_INDEX_KEY"]
