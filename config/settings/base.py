"""Settings shared by every environment. Values come from the environment (see .env.example)."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("ZHUCAN_VAR_DIR", BASE_DIR / "var"))


def _load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines from .env without overriding the real environment."""
    if not path.exists():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


_load_dotenv(BASE_DIR / ".env")


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def dev_secrets() -> dict[str, str]:
    """Development secrets, generated once per checkout into var/ (never committed)."""
    path = VAR_DIR / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    values = {
        "ZHUCAN_SECRET_KEY": secrets.token_urlsafe(50),
        "ZHUCAN_DATA_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ZHUCAN_INDEX_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    }
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


DEBUG = env_bool("ZHUCAN_DEBUG", False)
ALLOWED_HOSTS = [h for h in (env("ZHUCAN_ALLOWED_HOSTS", "127.0.0.1,localhost") or "").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "zhucan.core",
    "zhucan.regions",
    "zhucan.accounts",
    "zhucan.canteens",
    "zhucan.elders",
    "zhucan.checkout",
    "zhucan.api",
    "zhucan.settlement",
    "zhucan.funds",
    "zhucan.identity",
    "zhucan.face",
    "zhucan.elderphone",
    "zhucan.filing",
    "zhucan.privacy",
    "zhucan.alerts",
    "zhucan.analytics",
    "zhucan.evaluation",
    "zhucan.assessment",
    "zhucan.inspections",
    "zhucan.video",
    "zhucan.orders",
    "zhucan.payments",
    "zhucan.delivery",
    "zhucan.console",
    "zhucan.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "zhucan.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "zhucan.core.textguard.StorableTextMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "src" / "zhucan" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "zhucan.console.context_processors.console",
            ],
        },
    },
]

_sqlite_path = VAR_DIR / "zhucan.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{_sqlite_path}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout so that the console and the demo server share the file politely.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameter binding (the extended protocol, as pgbench -M extended): psycopg sends
    # parameters apart from the SQL and dumps them in C; client-side binding renders every value
    # into the SQL text in Python (10 % of the API's CPU under load).
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    # Prepared statements (psycopg prepares a statement after its 5th use on a connection): the
    # hot path's ten statements are planned once per connection instead of on every call. Django
    # turns them off by default for the sake of transaction-pooling proxies, which we do not use.
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
    # No JIT compilation: the platform's queries are short, and PostgreSQL starts compiling (100–300
    # ms of LLVM) whenever a plan's estimate passes jit_above_cost — which a dashboard query with a
    # rarely taken, per-row-costed branch does (the not-reached list: 390 → 200 ms without it).
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling (accounts.throttle): failures per username and per client address.
ZHUCAN_LOGIN_MAX_FAILURES = int(env("ZHUCAN_LOGIN_MAX_FAILURES", "5") or 5)
ZHUCAN_LOGIN_LOCK_MINUTES = int(env("ZHUCAN_LOGIN_LOCK_MINUTES", "15") or 15)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "src" / "zhucan" / "locale"]
TIME_ZONE = env("ZHUCAN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
STATICFILES_DIRS = [BASE_DIR / "src" / "zhucan" / "static"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ZHUCAN_IMPORT_MAX_ROWS = 50_000
ZHUCAN_IMPORT_MAX_BYTES = 10 * 1024 * 1024
# Where the cashier page prints receipts: tcp://host:9100, usb://vid:pid, serial:///dev/…, file:///…
ZHUCAN_RECEIPT_PRINTER = env("ZHUCAN_RECEIPT_PRINTER", f"file://{VAR_DIR}/receipts/{{receipt_no}}.bin")

# Integration API v1 (zhucan.api): body limit, signature clock window, nonce pruning, report-mode age.
ZHUCAN_API_MAX_BODY_BYTES = 64 * 1024
ZHUCAN_API_CLOCK_WINDOW_SECONDS = 300
ZHUCAN_API_NONCE_PRUNE_PROBABILITY = 0.01
ZHUCAN_API_REPORT_MAX_AGE_HOURS = 72

# Elder phone page (zhucan.elderphone): the SMS provider, a class with
# send(phone, template_code, params) -> message id. The console backend only logs (development).
ZHUCAN_SMS_BACKEND = env("ZHUCAN_SMS_BACKEND", "zhucan.elderphone.sms.ConsoleSmsBackend")

# Simulated clock (training, benchmarks): an aware ISO moment the platform's time starts from.
ZHUCAN_CLOCK_START = env("ZHUCAN_CLOCK_START") or None
# The real moment ZHUCAN_CLOCK_START stands for (aware ISO), so that the demo's processes share one clock.
ZHUCAN_CLOCK_ANCHOR = env("ZHUCAN_CLOCK_ANCHOR") or None

# The public directory (/public/canteens/): the address printed in the QR code of the unified sign
# (empty: the address the sign was requested on), and each city's programme mark by policy id.
ZHUCAN_PUBLIC_BASE_URL = env("ZHUCAN_PUBLIC_BASE_URL", "") or ""
ZHUCAN_PROGRAMME_MARKS = {
    "hangzhou": {"name_zh": "全城通", "title_zh": "杭州市老年人智慧助餐", "subtitle_zh": "老年助餐服务定点机构",
                 "colour": "#c8102e", "svg": "zhucan/marks/hangzhou-quanchengtong.svg"},
    "liaocheng": {"name_zh": "幸福食堂", "title_zh": "聊城市老年人助餐服务", "subtitle_zh": "幸福食堂定点机构",
                  "colour": "#d9480f", "svg": "zhucan/marks/liaocheng-xingfushitang.svg"},
}

ZHUCAN_POLICY_DIR = Path(env("ZHUCAN_POLICY_DIR", str(BASE_DIR / "policies")))
# District overlays (HZ-6) each city platform has enabled: {policy id: [overlay id, ...]}.
ZHUCAN_POLICY_OVERLAYS: dict[str, list[str]] = {}

# Background and periodic work: one mechanism, the tasks framework on the platform's own database,
# run by one `zhucan worker` process (which also enqueues the periodic jobs below when due).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Periodic jobs as data: a name, the task's dotted path, and either `every_minutes` or `daily_at`
# ("HH:MM", Asia/Shanghai).
ZHUCAN_PERIODIC_JOBS: list[dict] = [
    {"name": "filing-sweep", "task": "zhucan.filing.tasks.filing_sweep_task", "daily_at": "06:00"},
    {"name": "alerts-detect", "task": "zhucan.alerts.tasks.alerts_detect_task", "daily_at": "05:30"},
    {"name": "complaint-escalation", "task": "zhucan.evaluation.tasks.complaints_escalate_task", "every_minutes": 60},
    {"name": "video-probe", "task": "zhucan.video.tasks.video_probe_task", "every_minutes": 5},
    {"name": "video-playback", "task": "zhucan.video.tasks.video_playback_task", "daily_at": "03:00"},
    # Orders never handed over give their reserved benefit back at the end of their period (issue 17).
    {"name": "reservations-expire", "task": "zhucan.checkout.tasks.reservations_expire_task", "every_minutes": 5},
    {"name": "orders-standing", "task": "zhucan.orders.tasks.standing_generate_task", "every_minutes": 10},
    {"name": "orders-expire", "task": "zhucan.orders.tasks.orders_expire_task", "every_minutes": 10},
    {"name": "payments-reconcile", "task": "zhucan.payments.tasks.payments_reconcile_task", "daily_at": "10:30"},
]

# Online payment of orders (zhucan.payments): WeChat Pay v3, direct merchant, platform public key mode.
# Empty MCHID = not configured (orders are paid at handover). Keys may be PEM text or a file path.
ZHUCAN_WECHATPAY_MCHID = env("ZHUCAN_WECHATPAY_MCHID", "")
ZHUCAN_WECHATPAY_APPID = env("ZHUCAN_WECHATPAY_APPID", "")
ZHUCAN_WECHATPAY_PRIVATE_KEY = env("ZHUCAN_WECHATPAY_PRIVATE_KEY", "")  # the merchant API key (apiclient_key.pem)
ZHUCAN_WECHATPAY_CERT_SERIAL_NO = env("ZHUCAN_WECHATPAY_CERT_SERIAL_NO", "")
ZHUCAN_WECHATPAY_APIV3_KEY = env("ZHUCAN_WECHATPAY_APIV3_KEY", "")
ZHUCAN_WECHATPAY_PUBLIC_KEY = env("ZHUCAN_WECHATPAY_PUBLIC_KEY", "")  # WeChat Pay platform public key
ZHUCAN_WECHATPAY_PUBLIC_KEY_ID = env("ZHUCAN_WECHATPAY_PUBLIC_KEY_ID", "")
ZHUCAN_WECHATPAY_NOTIFY_URL = env("ZHUCAN_WECHATPAY_NOTIFY_URL", "")  # https://<host>/payments/notify/wechat/
ZHUCAN_WECHATPAY_BASE_URL = env("ZHUCAN_WECHATPAY_BASE_URL", "https://api.mch.weixin.qq.com")
ZHUCAN_WECHATPAY_KIND = env("ZHUCAN_WECHATPAY_KIND", "h5")  # "h5" (phone browser) or "jsapi" (inside WeChat)
ZHUCAN_WECHATPAY_TIMEOUT = float(env("ZHUCAN_WECHATPAY_TIMEOUT", "10"))
ZHUCAN_WECHATPAY_TRADE_PREFIX = env("ZHUCAN_WECHATPAY_TRADE_PREFIX", "ZC")

# Complaints and suggestions (issue #18): the canteen answers within `answer` working days of receipt,
# the district closes within `close`; overdue cases are escalated to the city (hourly job above).
ZHUCAN_COMPLAINT_DEADLINES = {"answer": 3, "close": 7}

# The dashboard's canteen table (zhucan.analytics) shows this many canteens, those with the most
# meals first; its .xlsx export has every canteen.
ZHUCAN_DASHBOARD_CANTEEN_PAGE = 50

# Video (zhucan.video): every probe and fetch has a timeout; probes run `CONCURRENCY` at once. A
# live HLS playlist is read twice (INTERVAL seconds apart; None: its target duration, at most 6 s)
# and must advance, its last program date-time within LIVE_LAG seconds of now. The playback check
# wants PLAYBACK_DAYS of recordings with no gap over PLAYBACK_GAP_SECONDS.
ZHUCAN_VIDEO_HTTP_TIMEOUT = 5
ZHUCAN_VIDEO_PROBE_TIMEOUT = 5
ZHUCAN_VIDEO_PROBE_CONCURRENCY = int(env("ZHUCAN_VIDEO_PROBE_CONCURRENCY", "200") or 200)
ZHUCAN_VIDEO_PROBE_INTERVAL: float | None = None
ZHUCAN_VIDEO_LIVE_LAG_SECONDS = 60
ZHUCAN_VIDEO_PLAYBACK_DAYS = 7
ZHUCAN_VIDEO_PLAYBACK_GAP_SECONDS = 60

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("ZHUCAN_LOG_LEVEL", "WARNING")},
}
