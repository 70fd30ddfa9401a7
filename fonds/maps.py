"""The tile server behind every map of the site: its address template, its attribution,
and the Content-Security-Policy addition that lets the browser load its tiles. The
initiative pages use it, and so do the site's pages (``cms``).

The commune may choose its own tile server in the site's settings, which ``cms`` keeps;
``fonds`` does not read them. ``cms`` registers where the address comes from with
``site_tile_url``; without it, or when the commune chose none, the deployment's
``MAP_TILE_URL`` serves."""

from urllib.parse import urlsplit

from django.conf import settings

# The function registered by site_tile_url, if any (a list, so that registering does
# not rebind a module global).
_site_sources = []


def site_tile_url(function):
    """Registers ``function(request)``, returning the tile address the site's settings
    give for that request ("" for none). A decorator; the last one registered counts."""
    _site_sources[:] = [function]
    return function


def map_tiles(request):
    """The tile URL template and the Content-Security-Policy addition it needs."""
    site_value = _site_sources[0](request) if _site_sources else ""
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
