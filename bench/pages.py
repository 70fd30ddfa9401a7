"""Time to render the public pages, each compared with a baseline measured in the same
run (the health check, which does one query and one cache round trip). Prints the
median of each and its ratio; on PostgreSQL when DATABASE_URL points to it, else
SQLite."""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_fonds_quartiers")

import django  # noqa: E402

django.setup()

from django.test.utils import setup_test_environment  # noqa: E402

ROUNDS = 200
PAGES = [
    "/",
    "/quartiers/",
    "/quartiers/bellevue/",
    "/decisions/",
    "/statistiques/",
    "/actualites/",
    "/initiatives/",
    "/recherche/?q=jardin",
    "/sitemap.xml",
    "/decisions/flux.rss",
]


def timed(client, path):
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(samples)


def main():
    from django.db import connection
    from django.test import Client

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        from cms.demo import build_demo

        build_demo()
        client = Client()
        client.get("/")
        baseline = timed(client, "/healthz")
        print(f"database: {connection.vendor}, {ROUNDS} requests each")
        print(f"baseline {'/healthz':<24} median: {baseline * 1000:6.2f} ms")
        for path in PAGES:
            client.get(path)
            median = timed(client, path)
            print(
                f"page     {path:<24} median: {median * 1000:6.2f} ms"
                f"  (ratio {median / baseline:.1f}× baseline)"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
