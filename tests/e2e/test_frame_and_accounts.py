import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import User

from .conftest import labelled, open_menu

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Bellerive-2026!"


@pytest.fixture
def demo_site(committed_demo):
    return committed_demo


def no_horizontal_scroll(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [360, 1280])
def test_visitor_reads_the_public_frame(demo_site, new_context, screenshot, width):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_contain_text("fonds d'initiative citoyenne")
    expect(page.locator(".brand__name")).to_have_text("Bellerive-sur-Loire")
    assert no_horizontal_scroll(page)
    screenshot(page, f"accueil-{width}")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()

    page.get_by_role("link", name="Mentions légales").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mentions légales")
    page.get_by_role("link", name="Accessibilité : partiellement conforme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration d'accessibilité")
    assert no_horizontal_scroll(page)

    open_menu(page)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Skip to content")).to_be_attached()
    open_menu(page)
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()

    page.goto("/nulle-part/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")


def test_resident_signs_up_confirms_and_fills_profile(demo_site, page, screenshot):
    page.goto("/")
    page.get_by_role("link", name="Créer un compte").first.click()
    page.get_by_label("E-mail").fill("lea.nguyen@example.org")
    labelled(page, "Mot de passe").fill(PASSWORD)
    page.get_by_label("Mot de passe (confirmation)").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vérifiez votre adresse")

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/comptes/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirmer").click()

    page.get_by_role("link", name="Mon profil").click()
    page.get_by_label("Nom affiché").fill("Léa N.")
    page.get_by_label("Quartier de résidence").select_option(label="Bellevue")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Votre profil est enregistré")
    screenshot(page, "profil")

    user = User.objects.get(email="lea.nguyen@example.org")
    assert user.display_name == "Léa N."
    assert user.quartier.name == "Bellevue"

    page.get_by_role("link", name="Se déconnecter").click()
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("link", name="Se connecter").click()
    page.get_by_label("E-mail").fill("lea.nguyen@example.org")
    labelled(page, "Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("link", name="Mon profil")).to_be_visible()


def test_bad_login_shows_a_clear_error(demo_site, page):
    page.goto("/comptes/login/")
    page.get_by_label("E-mail").fill("habitante@demo.fonds-quartiers.fr")
    labelled(page, "Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("main")).to_contain_text("le mot de passe sont incorrects")


def test_administrator_logs_in_and_reaches_the_admin(demo_site, page):
    page.goto("/cms/")
    expect(page).to_have_url(re.compile(r"/comptes/login/"))
    page.get_by_label("E-mail").fill("admin@demo.fonds-quartiers.fr")
    labelled(page, "Mot de passe").fill("demo-quartiers")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/cms/$"))
    expect(page.locator("body")).to_contain_text("Fonds des quartiers")


def test_a_table_region_takes_the_focus_only_when_it_overflows(demo_site, new_context):
    """The ledger's table scrolls on a phone: its region is then a Tab stop; on a wide
    screen it fits and is none."""
    for width, stop in ((360, True), (1280, False)):
        page = new_context(viewport={"width": width, "height": 800}).new_page()
        page.goto("/fonds/")
        page.get_by_role("link", name="Bellevue").first.press("Enter")
        page.get_by_role("link", name="Consulter le grand livre").press("Enter")
        region = page.get_by_role("region", name="Opérations du grand livre")
        if stop:
            expect(region).to_have_attribute("tabindex", "0")
        else:
            expect(region).not_to_have_attribute("tabindex", "0")
