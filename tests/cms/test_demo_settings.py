"""The demo (`make run`, cms.settings.dev) runs as production does: DEBUG off, so a
newcomer sees the site's own 404 and 500 pages, and static files served by whitenoise
from the apps' folders."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _demo_settings(*names, **env):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        f"print(*[getattr(s, name) for name in {list(names)!r}])"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    environment.update(DJANGO_SETTINGS_MODULE="cms.settings.dev", **env)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_demo_runs_with_debug_off_and_whitenoise():
    assert _demo_settings("DEBUG", "WHITENOISE_USE_FINDERS") == ["False", "True"]
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE
    # A developer can still ask for Django's debug page.
    assert _demo_settings("DEBUG", DEBUG="1") == ["True"]


@pytest.mark.django_db
def test_static_files_are_served_with_debug_off(client):
    assert settings.DEBUG is False
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)


def test_an_unknown_address_shows_the_sites_own_page(demo, client):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page introuvable" in html
    assert "URLconf" not in html and "Traceback" not in html
    assert 'href="/initiatives/"' in html and 'role="search"' in html
    english = client.get("/cette-page-n-existe-pas/", headers={"accept-language": "en"})
    assert "Page not found" in english.content.decode()
