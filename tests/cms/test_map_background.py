"""The commune's background layer: the demo's drawing served from the site and named by
every map when no tile server is set, what a commune may upload as one (and the clear
errors for anything else), and the submission form's place picker that draws it."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from wagtail.models import Site

from accounts.models import User
from cms.models import CommuneSettings
from fonds.maps import MAX_BACKGROUND_BYTES, read_background
from fonds.models import Fund, Initiative, Quartier
from fonds.services import initiative_create

MAP_PAGES = ["/initiatives/", "/", "/quartiers/", "/quartiers/bellevue/"]


@pytest.fixture
def commune(demo):
    return CommuneSettings.for_site(Site.objects.get(is_default_site=True))


def feature(kind="road", geometry=None):
    return {
        "type": "Feature",
        "properties": {"kind": kind},
        "geometry": geometry
        or {"type": "LineString", "coordinates": [[0.68, 47.39], [0.69, 47.4]]},
    }


def layer(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def refused(data):
    with translation.override("fr"), pytest.raises(ValidationError) as raised:
        read_background(data)
    return " ".join(raised.value.messages)


def test_the_demo_serves_its_drawing_of_the_commune(commune, client):
    response = client.get("/carte/fond.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert "public" in response["Cache-Control"]
    drawing = read_background(response.content)
    kinds = {feature["properties"]["kind"] for feature in drawing["features"]}
    assert kinds == {"road", "main_road", "railway", "water", "park"}
    # Drawn around the demo's quartiers: every outline lies within the drawing's extent.
    positions = [
        point
        for feature in drawing["features"]
        for point in _flatten(feature["geometry"]["coordinates"])
    ]
    west, east = min(p[0] for p in positions), max(p[0] for p in positions)
    south, north = min(p[1] for p in positions), max(p[1] for p in positions)
    for quartier in Quartier.objects.exclude(outline=None):
        for lng, lat in quartier.outline["coordinates"][0]:
            assert west <= lng <= east and south <= lat <= north, quartier.name


def _flatten(value):
    if isinstance(value[0], (int, float)):
        yield value
        return
    for item in value:
        yield from _flatten(item)


@pytest.mark.parametrize("path", MAP_PAGES)
def test_maps_draw_the_background_without_tiles_and_the_tiles_when_set(commune, client, path):
    assert 'data-background="/carte/fond.geojson"' in client.get(path).content.decode()
    commune.map_tile_url = "https://tuiles.example.org/{z}/{x}/{y}.png"
    commune.save()
    page = client.get(path).content.decode()
    assert "data-tiles=" in page and "data-background" not in page


def test_without_a_background_nothing_is_named_and_its_address_is_404(commune, client):
    commune.map_background = ""
    commune.save()
    assert client.get("/carte/fond.geojson").status_code == 404
    assert "data-background" not in client.get("/initiatives/").content.decode()


def test_a_background_whose_file_is_gone_answers_404(commune, client):
    storage, name = commune.map_background.storage, commune.map_background.name
    with storage.open(name) as file:
        kept = file.read()
    storage.delete(name)
    try:
        assert client.get("/carte/fond.geojson").status_code == 404
    finally:
        storage.save(name, ContentFile(kept))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe not text", "n'est pas du GeoJSON lisible"),
        (b"{not json", "n'est pas du GeoJSON lisible"),
        (b'{"type": "Feature"}', "doit être une FeatureCollection"),
        (b"[1, 2]", "doit être une FeatureCollection"),
        (layer(), "ne contient aucun élément"),
        (layer(feature(kind="building")), "propriété « kind » parmi : road, main_road"),
        (layer(feature(), {"type": "Feature"}), "L'élément n° 2 doit avoir une propriété"),
        (
            layer(feature(geometry={"type": "Point", "coordinates": [0.68, 47.39]})),
            "doit être une ligne ou un polygone",
        ),
        (
            layer(feature(geometry={"type": "LineString", "coordinates": [[47.39, 190.0]]})),
            "coordonnées invalides",
        ),
        (
            layer(feature(geometry={"type": "Polygon", "coordinates": [[0.68, 47.39]]})),
            "coordonnées invalides",
        ),
        (
            layer(feature(geometry={"type": "LineString", "coordinates": [["0.68", "47.39"]]})),
            "coordonnées invalides",
        ),
        (
            b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties":'
            b' {"kind": "road"}, "geometry": {"type": "LineString", "coordinates":'
            b" [[NaN, 47.39]]}}]}",
            "n'est pas du GeoJSON lisible",
        ),
        (b" " * (MAX_BACKGROUND_BYTES + 1), "dépasse 512 Ko"),
    ],
)
def test_a_background_that_cannot_be_drawn_is_refused_in_words(data, message):
    assert message in refused(data)


def test_every_kind_and_geometry_a_map_draws_is_accepted():
    square = [[[0.68, 47.39], [0.69, 47.39], [0.69, 47.4], [0.68, 47.39]]]
    data = layer(
        feature("road"),
        feature(
            "main_road", {"type": "MultiLineString", "coordinates": [[[0.68, 47.39], [0.7, 47.4]]]}
        ),
        feature("railway"),
        feature("water", {"type": "Polygon", "coordinates": square}),
        feature("park", {"type": "MultiPolygon", "coordinates": [square]}),
    )
    assert len(read_background(data)["features"]) == 5


def test_the_settings_refuse_an_upload_that_is_no_drawing(commune):
    commune.map_background = SimpleUploadedFile("fond.geojson", b'{"type": "Feature"}')
    with translation.override("fr"), pytest.raises(ValidationError) as raised:
        commune.full_clean()
    assert "FeatureCollection" in " ".join(raised.value.message_dict["map_background"])
    commune.map_background = SimpleUploadedFile("fond.png", layer(feature()))
    with translation.override("fr"), pytest.raises(ValidationError) as raised:
        commune.full_clean()
    assert "map_background" in raised.value.message_dict
    commune.map_background = SimpleUploadedFile("fond.geojson", layer(feature()))
    commune.full_clean()


@pytest.fixture
def draft(demo):
    resident = User.objects.get(email="habitante@demo.fonds-quartiers.fr")
    fund = Fund.objects.accepting_submissions().select_related("quartier").first()
    initiative = initiative_create(
        actor=resident,
        fund=fund,
        carrier_kind=Initiative.CarrierKind.PERSON,
        carrier_name="Camille Durand",
        title="Un banc sous les tilleuls",
    )
    client = Client()
    client.force_login(resident)
    return initiative, client


def test_the_project_step_picks_the_place_on_the_quartier_map(draft):
    initiative, client = draft
    page = client.get(f"/initiatives/{initiative.pk}/modifier/projet/").content.decode()
    assert 'id="carte-lieu"' in page
    assert 'data-background="/carte/fond.geojson"' in page
    assert 'id="carte-lieu-zone"' in page
    assert 'aria-describedby="carte-lieu-aide"' in page
    # The coordinates stay the way to type the place, after the map.
    assert page.index('id="carte-lieu"') < page.index('id="id_latitude"')


def test_without_anything_to_draw_the_project_step_keeps_its_fields_alone(draft, commune):
    initiative, client = draft
    commune.map_background = ""
    commune.save()
    Quartier.objects.filter(pk=initiative.fund.quartier_id).update(outline=None)
    page = client.get(f"/initiatives/{initiative.pk}/modifier/projet/").content.decode()
    assert 'id="carte-lieu"' not in page
    assert 'id="id_latitude"' in page
