"""Where the demo quartiers lie. Each has its own cell of a 3 × 3 grid around the town
centre; its outline is an irregular polygon inside that cell (so no two outlines
overlap), and its initiatives sit near its centre, well inside the outline."""

import math
from decimal import Decimal

# Latitude and longitude of the centre of Centre-Ville.
ORIGIN = (47.3941, 0.6848)
# Height and width of a cell, in degrees: about 1.5 km each way at this latitude.
CELL = (0.014, 0.020)

# (column eastwards, row northwards) of each quartier's cell.
GRID = {
    "Bellevue": (-1, 1),
    "La Gare": (0, 1),
    "Les Tilleuls": (1, 1),
    "Montplaisir": (-1, 0),
    "Centre-Ville": (0, 0),
    "Les Coteaux": (1, 0),
    "Le Port": (0, -1),
}

VERTICES = 10
# Distance of the outline's vertices and of the initiatives from the centre, as a share
# of half a cell: the outline stays inside its cell, the initiatives inside the outline.
OUTLINE_REACH = (0.80, 0.95)
SPOT_REACH = 0.5
GOLDEN_ANGLE = math.radians(137.5)


def centre(name):
    column, row = GRID[name]
    return ORIGIN[0] + row * CELL[0], ORIGIN[1] + column * CELL[1]


def _point(name, reach, angle):
    latitude, longitude = centre(name)
    return (
        round(latitude + reach * math.sin(angle) * CELL[0] / 2, 6),
        round(longitude + reach * math.cos(angle) * CELL[1] / 2, 6),
    )


def outline(name):
    """A GeoJSON Polygon ([longitude, latitude] positions, the ring closed)."""
    low, high = OUTLINE_REACH
    seed = sum(map(ord, name))
    ring = []
    for k in range(VERTICES):
        reach = low + (high - low) * ((seed + 3 * k) % 5) / 4
        latitude, longitude = _point(name, reach, 2 * math.pi * k / VERTICES)
        ring.append([longitude, latitude])
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def spot(name, number):
    """The place of the quartier's ``number``-th initiative, as Decimal (lat, lng)."""
    reach = SPOT_REACH * (0.25 + 0.75 * (number % 7) / 6)
    latitude, longitude = _point(name, reach, number * GOLDEN_ANGLE)
    return Decimal(f"{latitude:.6f}"), Decimal(f"{longitude:.6f}")
