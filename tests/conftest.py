import os

import pytest
from django.conf import settings


def pytest_configure(config):
    # Playwright's sync API runs an event loop in the test thread; the ORM calls made
    # by browser tests are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def on_postgres():
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_sessionstart(session):
    if os.environ.get("REQUIRE_POSTGRES") == "1" and not on_postgres():
        pytest.exit(
            "REQUIRE_POSTGRES=1 but PostgreSQL is not reachable "
            "(DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres).",
            returncode=3,
        )


def pytest_collection_modifyitems(config, items):
    if on_postgres():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL or start the server)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test has its own media folder and an empty cache (rate limits live there)."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


@pytest.fixture
def demo(db):
    from cms.demo import build_demo

    return build_demo()
