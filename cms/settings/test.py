"""Fast settings for the test suite, on PostgreSQL (``DATABASE_URL``, else the local
server). Without a reachable server, and unless ``REQUIRE_POSTGRES=1``, the suite falls
back to SQLite and the PostgreSQL-only tests are skipped."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = False
SECRET_KEY = "test-only-key-not-secret"
ALLOWED_HOSTS = ["*"]
DEMO_MODE = True

_pg_url = env("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/postgres")


def _postgres_reachable(url):
    import psycopg

    try:
        with psycopg.connect(url.replace("postgis://", "postgres://"), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


if _pg_url.startswith(("postgres", "postgis")) and _postgres_reachable(_pg_url):
    DATABASES = {"default": env.db_url_config(_pg_url)}
    # The suite runs the migrations as the owner, then connects as the application's
    # restricted role (tests/dbowner.py).
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("TEST_DATABASE_NAME", "test_fonds_quartiers")
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "var" / "test.sqlite3",
        }
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
SERVE_MEDIA = True
