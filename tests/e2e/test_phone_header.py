"""On a 360 × 740 phone the header, with the banner asking for a second factor, takes at
most a third of the screen: search, language choice and navigation fold behind « Menu »,
which the keyboard opens and Escape closes. The fund selector names the quartier first,
which a narrow select never cuts."""

import pytest
from playwright.sync_api import expect

from fonds.models import Fund

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
DEMO_PASSWORD = "demo-quartiers"


@pytest.fixture
def demo_site(committed_demo):
    return committed_demo


def _content_top(page):
    return page.evaluate("() => document.querySelector('main').getBoundingClientRect().top")


def test_the_header_takes_a_third_of_a_phone_screen(demo_site, new_context, screenshot):
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "conseillere@demo.fonds-quartiers.fr", "/mon-espace/", password=DEMO_PASSWORD)
    page.goto("/")
    expect(page.get_by_role("region", name="Sécurité du compte")).to_be_visible()
    assert _content_top(page) <= PHONE["height"] / 3
    navigation = page.get_by_role("navigation", name="Navigation principale")
    expect(navigation).to_be_hidden()
    screenshot(page, "ferme-360")

    # The menu opens from the keyboard and shows everything the header holds.
    toggle = page.get_by_role("button", name="Menu")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(navigation).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("searchbox", name="Rechercher sur le site")).to_be_focused()
    screenshot(page, "ouvert-360")
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(navigation).to_be_hidden()

    # A link of the menu, followed by the keyboard.
    page.keyboard.press("Enter")
    navigation.get_by_role("link", name="Mon espace").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url("/mon-espace/")

    # On a wide screen there is no menu button: everything is shown.
    wide = new_context().new_page()
    wide.goto("/")
    expect(wide.get_by_role("button", name="Menu")).to_be_hidden()
    expect(wide.get_by_role("navigation", name="Navigation principale")).to_be_visible()


def test_the_fund_selector_names_the_quartier_first(demo_site, new_context):
    page = new_context(viewport=PHONE).new_page()
    log_in(
        page, "habitante@demo.fonds-quartiers.fr", "/initiatives/nouvelle/", password=DEMO_PASSWORD
    )
    options = page.get_by_label("Fonds de quartier").locator("option").all_inner_texts()
    funds = Fund.objects.accepting_submissions().select_related("quartier")
    assert options and len(options) == funds.count()
    assert sorted(options) == options
    for fund in funds:
        assert f"{fund.quartier.name} — {fund.label}" in options
