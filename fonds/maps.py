"""The tile server behind every map of the site: its address template, its attribution,
and the Content-Security-Policy addition that lets the browser load its tiles. The
initiative pages use it, and so do the site's pages (``cms``).

The commune may choose its own tile server in the site's settings, which ``cms`` keeps;
``fonds`` does not read them. ``cms`` registers where the address comes from with
``site_tile_url``; without it, or when the commune chose none, the deployment's
``MAP_TILE_URL`` serves.

Without a tile server, a commune may give a background layer of its own: a small GeoJSON
drawing of its streets, river and parks (``read_background`` checks one), served from the
site and drawn under the quartiers. ``cms`` keeps it and registers its address with
``site_background_url``."""

import json
import math
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The functions registered by site_tile_url and site_background_url, by what they give
# (a dict, so that registering does not rebind a module global).
_site_sources = {}

# What a background feature may be, in its ``kind`` property; map.js styles each.
BACKGROUND_KINDS = ("road", "main_road", "railway", "water", "park")
BACKGROUND_GEOMETRIES = ("LineString", "MultiLineString", "Polygon", "MultiPolygon")
MAX_BACKGROUND_BYTES = 512 * 1024


def site_tile_url(function):
    """Registers ``function(request)``, returning the tile address the site's settings
    give for that request ("" for none). A decorator; the last one registered counts."""
    _site_sources["tiles"] = function
    return function


def site_background_url(function):
    """Registers ``function(request)``, returning the address of the site's background
    layer for that request ("" for none). A decorator; the last one registered counts."""
    _site_sources["background"] = function
    return function


def _from_site(kind, request):
    source = _site_sources.get(kind)
    return source(request) if source else ""


def map_tiles(request):
    """The tile URL template and the Content-Security-Policy addition it needs."""
    site_value = _from_site("tiles", request)
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
    return {
        "tile_url": tile_url,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        # Under tiles, a drawing of the commune would only hide them.
        "background_url": "" if tile_url else _from_site("background", request),
    }


def allow_map_tiles(request, response):
    """Adds the tile server to the response's Content-Security-Policy."""
    _tile_url, csp = map_tiles(request)
    if csp:
        response._csp_update = csp
    return response


def read_background(data):
    """The background layer in ``data`` (bytes of a GeoJSON FeatureCollection), checked:
    each feature a line or a polygon of a known ``kind``, with positions in longitude and
    latitude. Raises ValidationError, in words, for anything else."""
    if len(data) > MAX_BACKGROUND_BYTES:
        raise ValidationError(
            _("Le fond de carte dépasse %(max)s Ko : simplifiez son tracé.")
            % {"max": MAX_BACKGROUND_BYTES // 1024}
        )
    try:
        layer = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError):
        raise ValidationError(_("Ce fichier n'est pas du GeoJSON lisible.")) from None
    if not isinstance(layer, dict) or layer.get("type") != "FeatureCollection":
        raise ValidationError(_("Le fond de carte doit être une FeatureCollection GeoJSON."))
    features = layer.get("features")
    if not isinstance(features, list) or not features:
        raise ValidationError(_("Le fond de carte ne contient aucun élément."))
    for number, feature in enumerate(features, start=1):
        _check_feature(feature, number)
    return layer


def _refuse_constant(name):
    raise ValueError(name)


def _check_feature(feature, number):
    where = {"number": number}
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValidationError(_("L'élément n° %(number)s n'est pas un « Feature ».") % where)
    properties = feature.get("properties")
    kind = properties.get("kind") if isinstance(properties, dict) else None
    if kind not in BACKGROUND_KINDS:
        raise ValidationError(
            _("L'élément n° %(number)s doit avoir une propriété « kind » parmi : %(kinds)s.")
            % (where | {"kinds": ", ".join(BACKGROUND_KINDS)})
        )
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in BACKGROUND_GEOMETRIES:
        raise ValidationError(
            _("L'élément n° %(number)s doit être une ligne ou un polygone.") % where
        )
    depth = {"LineString": 2, "MultiLineString": 3, "Polygon": 3, "MultiPolygon": 4}
    if not _positions(geometry.get("coordinates"), depth[geometry["type"]]):
        raise ValidationError(
            _(
                "L'élément n° %(number)s a des coordonnées invalides : des paires "
                "[longitude, latitude] sont attendues."
            )
            % where
        )


def _positions(value, depth):
    """Whether ``value`` nests lists ``depth`` deep down to [longitude, latitude] pairs."""
    if not isinstance(value, list) or not value:
        return False
    if depth == 1:
        return (
            len(value) in (2, 3)
            and all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in value)
            and all(math.isfinite(n) for n in value)
            and -180 <= value[0] <= 180
            and -90 <= value[1] <= 90
        )
    return all(_positions(item, depth - 1) for item in value)
