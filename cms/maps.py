"""The tile server behind every map of the site: its address template (the commune's
setting, else the deployment's), its attribution, and the Content-Security-Policy
addition that lets the browser load its tiles."""

from urllib.parse import urlsplit

from django.conf import settings


def map_tiles(request):
    """The tile URL template and the Content-Security-Policy addition it needs."""
    from .models import CommuneSettings

    site_value = CommuneSettings.for_request(request).map_tile_url
    url = site_value or settings.MAP_TILE_URL
    if not url:
        return "", None
    parts = urlsplit(url.replace("{s}", "a"))
    origin = f"{parts.scheme}://{parts.netloc}"
    if "{s}" in url:
        origin = f"{parts.scheme}://*.{parts.netloc.split('.', 1)[1]}"
    return url, {"img-src": [origin]}


def map_context(request):
    """What the map component needs in the template's context."""
    tile_url, _csp = map_tiles(request)
    return {"tile_url": tile_url, "tile_attribution": settings.MAP_TILE_ATTRIBUTION}


def allow_map_tiles(request, response):
    """Adds the tile server to the response's Content-Security-Policy."""
    _tile_url, csp = map_tiles(request)
    if csp:
        response._csp_update = csp
    return response
