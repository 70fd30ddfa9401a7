import os

import pytest
from django.conf import settings


def pytest_configure(config):
    # Playwright's sync API runs an event loop in the test thread; the ORM calls made
    # by browser tests are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db.models.signals import post_migrate

    post_migrate.connect(_restore_migration_data, dispatch_uid="tests-restore-migration-data")


def _restore_migration_data(sender, **kwargs):
    """Transactional tests empty every table when they end, then Django sends
    post_migrate. Put back the rows that migrations created and the code relies on:
    Wagtail's locale, root page and root collection, the role groups, and the
    site's home and decisions pages."""
    from django.apps import apps

    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    if sender.name != last.name:  # every app's permissions exist by then
        return
    from django.contrib.contenttypes.models import ContentType
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Collection, Locale, Page

    from accounts.roles import Role, group_for_role
    from cms.skeleton import ensure_site

    ContentType.objects.clear_cache()
    Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    if not Page.get_first_root_node():
        Page.add_root(title="Root", slug="root")
    if not Collection.get_first_root_node():
        Collection.add_root(name="Root")
    for role in Role:
        group_for_role(role)
    ensure_site()


def sign_in(client, user):
    """Signed in as ``user`` (signed out for None), having confirmed the password just
    now as allauth records it: staff actions that ask for a recent login let them in."""
    import time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )

    client.logout()
    if user is None:
        return
    client.force_login(user)
    session = client.session
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email, "reauthenticated": True}
    ]
    session.save()


def on_postgres():
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, the application connects as its restricted role (tests.dbowner)."""
    if not on_postgres():
        yield
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    from .dbowner import execute_sql_flush_as_owner, restrict_to_application_role, use_credentials

    with django_db_blocker.unblock():
        owner = restrict_to_application_role()
    flush = DatabaseOperations.execute_sql_flush
    DatabaseOperations.execute_sql_flush = execute_sql_flush_as_owner
    yield
    DatabaseOperations.execute_sql_flush = flush
    with django_db_blocker.unblock():
        use_credentials(owner)


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
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    cache.clear()


@pytest.fixture(scope="session")
def _demo_snapshot(django_db_setup, django_db_blocker, tmp_path_factory):
    """On PostgreSQL, the demo built once for this test process and copied
    (tests.demo_snapshot); the database is then put back as it was before (as the
    migrations left it: root page, locales, content types with the same ids). None
    elsewhere."""
    if not on_postgres():
        return None
    from django.test import override_settings

    from cms.demo import build_demo

    from .demo_snapshot import BASELINE, DemoSnapshot, TableCopy

    media = tmp_path_factory.mktemp("demo-media")
    private = tmp_path_factory.mktemp("demo-private")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, PRIVATE_MEDIA_ROOT=private),
    ):
        baseline = TableCopy.take(BASELINE)
        snapshot = DemoSnapshot.take(build_demo(), media, private)
        baseline.restore()
    return snapshot


def demo_data(snapshot, media, private):
    """The demo commune in the database, with its media files under ``media`` and
    ``private``: put back from the snapshot, or built."""
    if snapshot is not None:
        return snapshot.restore(media, private)
    from django.test import override_settings

    from cms.demo import build_demo

    with override_settings(MEDIA_ROOT=media, PRIVATE_MEDIA_ROOT=private):
        return build_demo()


@pytest.fixture(scope="module")
def _module_demo(_demo_snapshot, django_db_blocker, tmp_path_factory):
    """The demo commune for a test module, inside a transaction that is rolled back when
    the module ends, with the media folders its images were written to."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.test import override_settings

    media = tmp_path_factory.mktemp("media")
    private = tmp_path_factory.mktemp("private")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, PRIVATE_MEDIA_ROOT=private),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield {
                "data": demo_data(_demo_snapshot, media, private),
                "media": media,
                "private": private,
            }
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            # The restored rows are gone, and with them the content types' ids they had.
            ContentType.objects.clear_cache()


@pytest.fixture
def committed_demo(_demo_snapshot, transactional_db, settings, tmp_path):
    """The demo commune, committed, for tests that serve it to a browser; the tables are
    emptied when the test ends."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return demo_data(_demo_snapshot, settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT)


@pytest.fixture
def demo(_module_demo, _isolated, db, settings):
    """The demo commune; what a test changes in it is rolled back when the test ends."""
    settings.MEDIA_ROOT = _module_demo["media"]
    settings.PRIVATE_MEDIA_ROOT = _module_demo["private"]
    return _module_demo["data"]
