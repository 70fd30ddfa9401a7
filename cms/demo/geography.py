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


# ---------------------------------------------------------------------------
# The background layer: a drawing of the commune, so that its maps show a place even
# without a tile server. Streets cross each quartier, two avenues meet in Centre-Ville,
# the railway reaches La Gare and the river runs along Le Port.


def _at(row, column):
    """[longitude, latitude] of a point given in cells from the centre of Centre-Ville."""
    return [round(ORIGIN[1] + column * CELL[1], 6), round(ORIGIN[0] + row * CELL[0], 6)]


def _line(kind, name, positions):
    return {
        "type": "Feature",
        "properties": {"kind": kind, "name": name},
        "geometry": {"type": "LineString", "coordinates": positions},
    }


def _area(kind, name, positions):
    ring = [*positions, positions[0]]
    return {
        "type": "Feature",
        "properties": {"kind": kind, "name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


RIVER_ROW = -1.62
RIVER_WIDTH = 0.12


def _river_bank(offset):
    steps = 24
    return [
        _at(RIVER_ROW + offset + 0.08 * math.sin(k * math.pi / 6), -2 + 4 * k / steps)
        for k in range(steps + 1)
    ]


def background():
    """The demo commune's background layer, a GeoJSON FeatureCollection."""
    north = _river_bank(RIVER_WIDTH / 2)
    south = _river_bank(-RIVER_WIDTH / 2)
    features = [
        _area("water", "La Claise", north + south[::-1]),
        _area(
            "park",
            "Parc des Tilleuls",
            [_at(1.1, 0.8), _at(1.1, 1.2), _at(0.8, 1.25), _at(0.75, 0.85)],
        ),
        _area(
            "park",
            "Jardin du Port",
            [_at(-1.3, -0.35), _at(-1.3, -0.1), _at(-1.45, -0.1), _at(-1.45, -0.4)],
        ),
        _line(
            "railway",
            "Voie ferrée",
            [_at(1.55, -2), _at(1.3, -0.8), _at(1.2, 0), _at(1.3, 0.8), _at(1.55, 2)],
        ),
        _line(
            "main_road",
            "Avenue de la République",
            [_at(1.8, 0.05), _at(0.6, 0.02), _at(0, 0), _at(-1.0, -0.03), _at(-1.9, -0.05)],
        ),
        _line(
            "main_road",
            "Boulevard des Coteaux",
            [_at(0.05, -1.9), _at(0.02, -0.6), _at(0, 0), _at(-0.04, 0.7), _at(-0.08, 1.9)],
        ),
    ]
    ring = [
        _at(0.45 * math.sin(k * math.pi / 8), 0.45 * math.cos(k * math.pi / 8)) for k in range(17)
    ]
    features.append(_line("main_road", "Mail circulaire", ring))
    for name, (column, row) in GRID.items():
        for k, share in enumerate((-0.28, 0.28)):
            features.append(
                _line(
                    "road",
                    f"Rue {k + 1} ({name})",
                    [
                        _at(row + share, column - 0.42),
                        _at(row + share + 0.05, column),
                        _at(row + share, column + 0.42),
                    ],
                )
            )
            features.append(
                _line(
                    "road",
                    f"Allée {k + 1} ({name})",
                    [
                        _at(row - 0.42, column + share),
                        _at(row, column + share - 0.04),
                        _at(row + 0.42, column + share),
                    ],
                )
            )
    return {"type": "FeatureCollection", "features": features}
