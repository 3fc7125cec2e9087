"""Test settings: fixed throwaway keys, fast hashing; the database comes from DATABASE_URL."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-0123456789"
# Test-only keys (32 zero/one bytes); real deployments take theirs from the environment.
ZHUCAN_DATA_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
ZHUCAN_INDEX_KEY = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: concurrency tests need SQLite's real locking (WAL + busy
    # timeout), where writers wait for each other as they do in the demo, instead of failing.
    import os as _os
    import tempfile as _tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": _os.path.join(_tempfile.gettempdir(), f"zhucan-test-{_os.getpid()}.sqlite3")
    }
else:
    # One test database per run: two runs against one PostgreSQL (two developers, CI beside a
    # session) must not drop each other's database. xdist workers share the run's uid; pytest-django
    # appends the worker id itself.
    import os as _os

    _run = _os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8] or str(_os.getpid())
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_run}"}  # noqa: F405
