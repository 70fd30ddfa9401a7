"""The maps: the demo commune's own background layer drawn without a tile server,
initiatives gathered into clusters that open on a click, and the submission form's place
picker, by pointer and by keyboard, with the coordinates fields as the fallback."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import User
from cms.demo import DEMO_PASSWORD
from fonds.models import Fund, Initiative
from fonds.services import initiative_create

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)

RESIDENT = "habitante@demo.fonds-quartiers.fr"

TAB_STOPS = """() => [...document.querySelectorAll(
    '#carte .leaflet-marker-icon, #carte path, #carte-lieu .leaflet-marker-icon, #carte-lieu path'
)].filter(e => e.tabIndex >= 0).length"""


def drawn_background(page, selector):
    """How many shapes of the background layer the map at ``selector`` draws."""
    return page.locator(f"{selector} .leaflet-fond-pane path")


@pytest.mark.parametrize("width", [360, 1280])
def test_the_list_map_draws_the_commune_and_gathers_initiatives(
    committed_demo, new_context, width, screenshot
):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto("/initiatives/")
    # The demo sets no tile server: its drawing of streets and river shows instead.
    expect(drawn_background(page, "#carte").first).to_be_attached()
    assert drawn_background(page, "#carte").count() > 20
    expect(page.locator("#carte")).to_have_class(re.compile("map--drawn"))
    clusters = page.locator("#carte .map-cluster")
    expect(clusters.first).to_be_visible()
    shown = sum(int(text) for text in clusters.all_inner_texts())
    singles = page.locator("#carte .map-marker").count()
    assert shown + singles == page.evaluate(
        "() => JSON.parse(document.getElementById('carte-donnees').textContent).length"
    )
    assert page.evaluate(TAB_STOPS) == 0
    screenshot(page, f"carte-{width}")
    # A click on a cluster zooms in on its initiatives.
    scale = page.locator("#carte .leaflet-proxy").get_attribute("style")
    clusters.first.click()
    expect(page.locator("#carte .leaflet-proxy")).not_to_have_attribute("style", scale)


def test_the_map_zooms_with_space_and_keeps_its_shapes_out_of_the_tab_order(
    committed_demo, new_context
):
    page = new_context().new_page()
    page.goto("/initiatives/")
    proxy = page.locator("#carte .leaflet-proxy")
    expect(page.locator("#carte .map-cluster, #carte .map-marker").first).to_be_visible()
    before = proxy.get_attribute("style")
    page.locator("#carte .leaflet-control-zoom-in").focus()
    page.keyboard.press("Space")
    expect(proxy).not_to_have_attribute("style", before)
    # Neither shapes, markers nor clusters are Tab stops: the list is the way in.
    assert page.evaluate(TAB_STOPS) == 0


@pytest.fixture
def draft(committed_demo):
    resident = User.objects.get(email=RESIDENT)
    fund = Fund.objects.accepting_submissions().select_related("quartier").first()
    return initiative_create(
        actor=resident,
        fund=fund,
        carrier_kind=Initiative.CarrierKind.PERSON,
        carrier_name="Camille Durand",
        title="Un banc sous les tilleuls",
    )


def test_the_place_is_picked_on_the_map_by_pointer_or_keyboard(draft, new_context):
    page = new_context(viewport={"width": 360, "height": 780}).new_page()
    log_in(page, RESIDENT, f"/initiatives/{draft.pk}/modifier/projet/", password=DEMO_PASSWORD)
    picker = page.locator("#carte-lieu")
    expect(picker).to_be_visible()
    # The map opens on the fund's quartier, drawn over the commune's background.
    expect(picker.locator(".leaflet-overlay-pane path")).to_have_count(1)
    expect(drawn_background(page, "#carte-lieu").first).to_be_attached()
    latitude = page.get_by_label("Latitude (facultatif)")
    longitude = page.get_by_label("Longitude (facultatif)")
    assert latitude.input_value() == longitude.input_value() == ""

    # A tap on the map places the point and fills both fields.
    box = picker.bounding_box()
    picker.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.6})
    expect(picker.locator(".map-marker")).to_have_count(1)
    expect(latitude).not_to_have_value("")
    tapped = (Decimal(latitude.input_value()), Decimal(longitude.input_value()))
    expect(page.locator("#carte-lieu-etat")).to_contain_text("Lieu placé : latitude")

    # By keyboard: the map takes the focus, the arrows move it, Enter places the point at
    # its centre.
    page.get_by_label("Lieu", exact=True).focus()
    page.keyboard.press("Tab")
    expect(picker).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(latitude).not_to_have_value(str(tapped[0]))
    keyed = (Decimal(latitude.input_value()), Decimal(longitude.input_value()))
    assert keyed[1] > tapped[1] or keyed != tapped

    # Typed coordinates move the point; they are what the step saves.
    latitude.fill("47.408100")
    longitude.fill("0.664800")
    longitude.press("Tab")
    page.get_by_role("button", name="Enregistrer et continuer").press("Enter")
    expect(page.locator(".messages")).to_contain_text("Étape enregistrée")
    draft.refresh_from_db()
    assert (draft.latitude, draft.longitude) == (Decimal("47.408100"), Decimal("0.664800"))

    # Back on the step, the map opens on the saved place.
    page.goto(f"/initiatives/{draft.pk}/modifier/projet/")
    expect(picker.locator(".map-marker")).to_have_count(1)
    assert page.evaluate(TAB_STOPS) == 0
