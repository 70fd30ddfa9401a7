import uuid

from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import cache_control

from . import selectors
from .models import CommuneSettings


def healthz(request):
    """Report the health of the database and the cache; 503 if either fails."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 — any failure means unhealthy
        checks["database"] = "error"
    try:
        key = f"healthz:{uuid.uuid4().hex}"
        cache.set(key, "1", 5)
        checks["cache"] = "ok" if cache.get(key) == "1" else "error"
        cache.delete(key)
    except Exception:  # noqa: BLE001
        checks["cache"] = "error"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


@cache_control(public=True, max_age=3600)
def map_background(request):
    """The commune's background layer, drawn under the maps when no tile server is set."""
    drawing = CommuneSettings.for_request(request).map_background
    if not drawing:
        raise Http404
    try:
        with drawing.open("rb") as file:
            content = file.read()
    except OSError:
        raise Http404 from None
    return HttpResponse(content, content_type="application/geo+json")


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    """The 500 page in the site's frame; falls back to a bare page if the frame itself
    cannot render (the database may be the reason we are here)."""
    try:
        return render(request, "500.html", status=500)
    except Exception:  # noqa: BLE001
        return HttpResponseServerError(loader.get_template("500-bare.html").render())


def search(request):
    """Live pages and public initiatives matching the words typed."""
    found = selectors.search(request.GET.get("q"))
    return render(
        request,
        "cms/search.html",
        {
            **found,
            "search_text": found["text"],
            "total": len(found["pages"]) + len(found["initiatives"]),
            "too_short": 0 < len(found["text"]) < 2,
        },
    )


ROBOTS = """User-agent: *
Disallow: /cms/
Disallow: /comptes/
Disallow: /mon-espace/
Disallow: /conseil/
Disallow: /recherche/
Allow: /

Sitemap: {sitemap}
"""


@cache_control(max_age=86400, public=True)
def robots_txt(request):
    sitemap = request.build_absolute_uri("/sitemap.xml")
    return HttpResponse(ROBOTS.format(sitemap=sitemap), content_type="text/plain; charset=utf-8")
