"""A quartier's outline: a GeoJSON Polygon, checked wherever it is written (the
services and the admin form through the model field's validator)."""

import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.errors import DomainError

MAX_OUTLINE_POINTS = 5000


def _clean_position(position):
    """A GeoJSON position: [longitude, latitude], finite numbers within range."""
    if not isinstance(position, (list, tuple)) or len(position) not in (2, 3):
        return None
    if any(isinstance(value, bool) or not isinstance(value, (int, float)) for value in position):
        return None
    if not all(math.isfinite(value) for value in position):
        return None
    longitude, latitude = position[0], position[1]
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        return None
    return [longitude, latitude]


def clean_outline(outline):
    """A quartier's outline must be a GeoJSON Polygon: closed rings of at least four
    positions [longitude, latitude] with finite coordinates. Returns it in its plain
    form (the rings as lists, no third coordinate)."""
    invalid = DomainError(
        _(
            "Le contour doit être un polygone GeoJSON : des anneaux fermés d'au moins "
            "quatre points [longitude, latitude]."
        ),
        field="outline",
    )
    if not isinstance(outline, dict) or outline.get("type") != "Polygon":
        raise invalid
    rings = outline.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise invalid
    clean, count = [], 0
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4:
            raise invalid
        positions = [_clean_position(position) for position in ring]
        if None in positions or positions[0] != positions[-1]:
            raise invalid
        count += len(positions)
        clean.append(positions)
    if count > MAX_OUTLINE_POINTS:
        raise DomainError(
            _("Le contour compte %(n)d points au plus.") % {"n": MAX_OUTLINE_POINTS},
            field="outline",
        )
    return {"type": "Polygon", "coordinates": clean}


def validate_outline(value):
    """The model field's validator: the same rule, as a form error."""
    if value in (None, ""):
        return
    try:
        clean_outline(value)
    except DomainError as error:
        raise ValidationError(error.message) from None
