"""One journey per role through the demo commune — visitor, resident, instructor,
council member, maire de quartier, administrator — each walking through what that
person does on the site. axe-core checks every page (at 1280 px, and again at 360 px
at each main step), and each main step leaves a screenshot at both widths in
test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from cms.demo import DEMO_PASSWORD

from .conftest import log_in
from .conftest import reauthenticate_if_asked as shared_reauthenticate

pytestmark = pytest.mark.django_db(transaction=True)

DOMAIN = "demo.fonds-quartiers.fr"
RESIDENT = f"habitante@{DOMAIN}"
INSTRUCTOR = f"instructeur@{DOMAIN}"
COUNCILLOR = f"conseillere@{DOMAIN}"
CHAIR = f"maire@{DOMAIN}"
ADMINISTRATOR = f"admin@{DOMAIN}"
NEWS_TITLE = "La grainothèque ouvre ses tiroirs"
NEWS_INTRO = "Des graines à échanger à la maison de quartier de Bellevue, chaque samedi."

NARROW = {"width": 360, "height": 800}
WIDE = {"width": 1280, "height": 900}


@pytest.fixture
def demo(committed_demo):
    return committed_demo


class Defects:
    """Faults found along a journey that do not stop it: the journey goes on, and the
    test fails at its end with the whole list."""

    def __init__(self):
        self.found = []

    def add(self, message):
        self.found.append(message)

    def assert_none(self):
        assert not self.found, "\n".join(self.found)


@pytest.fixture
def defects():
    return Defects()


@pytest.fixture
def snap(axe, screenshot, defects):
    """Screenshots of the page at 360 px and at 1280 px. axe-core audits the narrow
    layout too (the page was audited at 1280 px when it loaded), and the page must not
    scroll sideways at 360 px (WCAG 1.4.10, reflow)."""

    def take(page, name):
        page.set_viewport_size(NARROW)
        page.evaluate("() => new Promise(requestAnimationFrame)")
        page.evaluate("() => { window.__fqAxeDone = false; }")
        axe.audit(page)
        if not no_horizontal_scroll(page):
            defects.add(f"{page.url} scrolls sideways at 360 px: {overflowing(page)}")
        screenshot(page, f"{name}-360")
        page.set_viewport_size(WIDE)
        page.evaluate("() => new Promise(requestAnimationFrame)")
        screenshot(page, f"{name}-1280")

    return take


def reauthenticate_if_asked(page):
    shared_reauthenticate(page, DEMO_PASSWORD)


def no_horizontal_scroll(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


OVERFLOWING = """() => Array.from(document.querySelectorAll('body *'))
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5
        && getComputedStyle(el).position !== 'fixed'
        && !el.closest('.leaflet-container, .table-scroll'))
    .slice(0, 4)
    .map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim()
        .replace(/\\s+/g, '.') : '') + ' (right edge at '
        + Math.round(el.getBoundingClientRect().right) + ' px)')
    .join(', ')"""


def overflowing(page):
    """The first elements that stick out on the right, to say why a page scrolls."""
    return page.evaluate(OVERFLOWING)


def main_nav(page):
    return page.get_by_role("navigation", name="Navigation principale")


def logged_in(new_context, email, path):
    page = new_context(viewport=WIDE).new_page()
    log_in(page, email, path, password=DEMO_PASSWORD)
    return page


def header_search(page, text):
    page.get_by_role("banner").get_by_role("searchbox").fill(text)
    page.get_by_role("banner").get_by_role("button", name="Rechercher").click()


def open_session_today(page):
    """From /conseil/, the session of Bellevue that is open today."""
    card = page.locator(".card", has_text="Conseil de quartier Bellevue").filter(has_text="Ouverte")
    expect(card).to_have_count(1)
    card.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Séance du")
    expect(page.locator("main")).to_contain_text("Ouverte")


# Visitor -------------------------------------------------------------------------------


def test_visitor_journey(demo, page, snap, defects):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_contain_text("fonds d'initiative citoyenne")
    expect(page.get_by_role("heading", name="Les dernières décisions")).to_be_visible()
    snap(page, "accueil")

    # A quartier: its fund, its council, its initiatives and decisions.
    quartiers = page.locator("section", has=page.get_by_role("heading", name="Les quartiers"))
    quartiers.get_by_role("link", name="Bellevue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bellevue")
    expect(page.get_by_role("heading", name="Le fonds du quartier")).to_be_visible()
    expect(page.locator(".members")).to_contain_text("Jean Moreau")
    expect(page.locator(".members")).to_contain_text("Sophie Martin")
    snap(page, "quartier")

    # One of its initiatives.
    initiatives = page.locator("section", has=page.locator("#initiatives"))
    link = initiatives.locator(".card__title a").first
    title = link.inner_text()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".card__meta")).to_contain_text("Bellevue")
    expect(page.get_by_role("heading", level=2, name="Budget")).to_be_visible()
    snap(page, "initiative")

    # The decisions of Bellevue only.
    main_nav(page).get_by_role("link", name="Décisions").click()
    page.get_by_label("Quartier").select_option(label="Bellevue")
    page.get_by_role("button", name="Filtrer").click()
    rows = page.get_by_role("region", name="Décisions publiées").locator("tbody tr")
    expect(rows.first).to_be_visible()
    quartier_cells = rows.locator("td:nth-child(3)").all_inner_texts()
    assert quartier_cells and set(quartier_cells) == {"Bellevue"}, quartier_cells
    snap(page, "decisions-bellevue")

    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Décision CQ-BELLEVUE-")
    snap(page, "decision")

    # Statistics: the chart is followed by the table of the same quartiers.
    main_nav(page).get_by_role("link", name="Statistiques").click()
    chart = page.locator("figure.chart").first
    expect(chart.get_by_role("img")).to_be_visible()
    labels = chart.locator(".chart__label").all_inner_texts()
    table = chart.locator("xpath=following-sibling::*[1]").get_by_role("table")
    expect(table).to_be_visible()
    assert "Bellevue" in labels
    assert table.locator("tbody th").all_inner_texts() == labels
    snap(page, "statistiques")

    # The search in the header.
    header_search(page, "jardin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rechercher")
    expect(page.get_by_role("heading", level=2)).to_contain_text("« jardin »")
    results = page.locator("main").get_by_role("link", name=re.compile("jardin"))
    expect(results.first).to_be_visible()
    snap(page, "recherche")

    # In English.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("banner").get_by_role("link").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("navigation", name="Main navigation")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("initiative funds")
    expect(page.get_by_role("heading", name="Latest decisions")).to_be_visible()
    snap(page, "home-en")
    defects.assert_none()


# Resident ------------------------------------------------------------------------------


def test_resident_journey(demo, page, snap, defects):
    log_in(page, RESIDENT, "/mon-espace/", password=DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon espace")
    expect(page.get_by_role("heading", name="Mes initiatives")).to_be_visible()
    expect(page.locator("main .card").first).to_be_visible()
    snap(page, "mon-espace")

    # A new initiative, saved as a draft after its first step.
    page.get_by_role("link", name="Proposer une nouvelle initiative").click()
    page.get_by_label(re.compile("habitant·e ou un collectif")).check()
    page.get_by_label("Nom du porteur").fill("Les voisins de la rue Haute")
    page.get_by_label("Titre du projet").fill("Une grainothèque à la maison de quartier")
    snap(page, "nouvelle-initiative")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Étape 2")
    page.get_by_label("Résumé").fill("Des graines à échanger entre voisins, toute l'année.")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("Étape 3")

    main_nav(page).get_by_role("link", name="Mon espace").click()
    card = page.locator(".card", has_text="Une grainothèque à la maison de quartier")
    expect(card).to_contain_text("Brouillon")
    expect(card.get_by_role("link", name=re.compile("Continuer le brouillon"))).to_be_visible()
    snap(page, "brouillon")

    # A neighbour's initiative in her quartier that the council has not decided yet: she
    # supports it, if she does not yet.
    main_nav(page).get_by_role("link", name="Initiatives").click()
    page.get_by_label("Quartier").select_option(label="Bellevue")
    page.get_by_role("button", name="Filtrer").click()
    links = page.locator("main .card__title a")
    expect(links.first).to_be_visible()
    addresses = [links.nth(n).get_attribute("href") for n in range(links.count())]
    own = page.get_by_role("heading", name="Votre dossier")
    support = page.get_by_role("button", name="Soutenir cette initiative")
    supported = page.get_by_text("Vous soutenez cette initiative.")
    for address in addresses:
        page.goto(address)
        if not own.count() and (support.count() or supported.count()):
            break
    else:
        pytest.fail("No neighbour's initiative of Bellevue on the list is open to support.")
    count = page.locator("dt", has_text="Soutiens").locator("xpath=following-sibling::dd[1]")
    before = int(count.inner_text())
    if support.count():
        support.click()
        expect(page.get_by_role("status")).to_contain_text("votre soutien est enregistré")
        expect(count).to_have_text(str(before + 1))
    expect(page.locator("main")).to_contain_text("Vous soutenez cette initiative.")
    snap(page, "soutien")
    defects.assert_none()


# Instructor ----------------------------------------------------------------------------


def test_instructor_journey(demo, page, snap, defects):
    log_in(page, INSTRUCTOR, "/cms/", password=DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/cms/$"))
    page.get_by_role("link", name="Dossiers à instruire").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossiers à instruire")
    page.get_by_label("Quartier").select_option(label="Bellevue")
    page.get_by_label("Statut").select_option(label="Déposée")
    page.get_by_role("button", name="Filtrer").click()
    queue = page.get_by_role("table")
    expect(queue).to_contain_text("Déposée")
    snap(page, "file")

    link = queue.locator("tbody tr").first.get_by_role("link")
    title = link.inner_text().strip()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("#dossier-status")).to_have_text("Déposée")
    snap(page, "dossier")

    page.get_by_label("Motif de la recevabilité").fill(
        "Dossier complet, budget équilibré : recevable."
    )
    page.get_by_role("button", name="Déclarer recevable").click()
    expect(page.get_by_role("status")).to_contain_text("est déclaré recevable")
    expect(page.locator("#dossier-status")).to_have_text("Recevable")
    expect(page.locator("#dossier-history")).to_contain_text("Dossier complet, budget équilibré")
    snap(page, "recevable")

    # The public page shows the new status.
    page.goto("/")
    header_search(page, title)
    page.locator("main").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".card__meta")).to_contain_text("Recevable")
    snap(page, "page-publique")
    defects.assert_none()


# Council member ------------------------------------------------------------------------


def test_council_member_journey(demo, new_context, snap, defects):
    councillor = logged_in(new_context, COUNCILLOR, "/conseil/")
    expect(councillor.get_by_role("heading", level=1)).to_have_text("Espace du conseil")
    snap(councillor, "espace-du-conseil")

    open_session_today(councillor)
    agenda = councillor.locator("ol.agenda")
    waiting = agenda.get_by_role("listitem").filter(has_text="à examiner").first
    expect(waiting).to_be_visible()
    snap(councillor, "seance")

    waiting.get_by_role("link").click()
    item_url = councillor.url
    title = re.sub(r"^\d+\.\s*", "", councillor.get_by_role("heading", level=1).inner_text())
    expect(councillor.get_by_role("heading", name="Délibération")).to_be_visible()
    expect(councillor.locator("main table")).to_contain_text("Total")
    snap(councillor, "point")

    # The full dossier, then back to the item.
    councillor.get_by_role("link", name="le dossier complet").click()
    expect(councillor.get_by_role("heading", level=1)).to_have_text(title)
    expect(councillor.get_by_role("heading", level=2, name="Budget")).to_be_visible()
    councillor.go_back()

    # The maire de quartier opens a show-of-hands vote from his own browser.
    chair = logged_in(new_context, CHAIR, item_url)
    chair.get_by_label("Mode de scrutin").select_option(label="À main levée")
    chair.get_by_role("button", name="Ouvrir le vote").click()
    expect(chair.get_by_role("status").first).to_contain_text("Vote ouvert")

    councillor.reload()
    expect(councillor.get_by_role("group", name="Votre vote")).to_be_visible()
    snap(councillor, "vote-ouvert")
    councillor.get_by_role("button", name="Pour").click()
    expect(councillor.get_by_role("status")).to_contain_text("Vote enregistré")
    expect(councillor.get_by_role("button", name="Pour")).to_have_count(0)
    snap(councillor, "a-vote")

    # The chair's live tally counts her ballot without a reload.
    expect(chair.locator("#decompte")).to_contain_text(re.compile(r"Pour : 1 .*\(1 / \d\)"))
    snap(chair, "decompte")
    defects.assert_none()


# Maire de quartier ---------------------------------------------------------------------


def test_chair_journey(demo, new_context, snap, defects):
    chair = logged_in(new_context, CHAIR, "/conseil/")
    open_session_today(chair)
    expect(chair.locator("main")).to_contain_text(re.compile(r"Quorum : \d+ présents"))
    snap(chair, "seance")

    agenda = chair.locator("ol.agenda").get_by_role("listitem")
    agenda.filter(has_text="à examiner").first.get_by_role("link").click()
    item_url = chair.url
    chair.get_by_label("Mode de scrutin").select_option(label="À main levée")
    chair.get_by_role("button", name="Ouvrir le vote").click()
    expect(chair.get_by_role("status").first).to_contain_text("Vote ouvert")
    chair.get_by_role("button", name="Pour").click()
    snap(chair, "vote-ouvert")

    councillor = logged_in(new_context, COUNCILLOR, item_url)
    councillor.get_by_role("button", name="Pour").click()
    expect(councillor.get_by_role("status")).to_contain_text("Vote enregistré")

    chair.goto(item_url)
    expect(chair.locator("#decompte")).to_contain_text("Pour : 2 · Contre : 0 · Abstention : 0")
    chair.get_by_role("button", name="Clore le vote").click()
    chair.get_by_role("button", name="Enregistrer la décision").click()
    expect(chair.locator("main")).to_contain_text(re.compile(r"CQ-BELLEVUE-\d{4}-\d{3}"))
    reference = re.search(r"CQ-BELLEVUE-\d{4}-\d{3}", chair.locator("main").inner_text()).group(0)
    # Publication: a confirmation page shows the ledger effect, after a fresh login
    # if the last one is not recent.
    chair.get_by_role("link", name="Publier la décision").click()
    reauthenticate_if_asked(chair)
    expect(chair.get_by_role("heading", level=1)).to_have_text(f"Publier la décision {reference}")
    snap(chair, "publication-confirmation")
    chair.get_by_role("button", name="Confirmer la publication et l'engagement").click()
    reauthenticate_if_asked(chair)
    expect(chair.locator(".messages")).to_contain_text("Décision publiée")
    snap(chair, "decision-publiee")

    # The decision is public…
    main_nav(chair).get_by_role("link", name="Décisions").click()
    chair.get_by_label("Référence ou initiative").fill(reference)
    chair.get_by_role("button", name="Filtrer").click()
    row = chair.locator("main table tbody tr", has_text=reference)
    expect(row).to_contain_text("Subvention accordée")
    amount = re.search(r"\d[\d\s]*,\d\d(?=\s?€)", row.inner_text()).group(0)
    snap(chair, "decisions")

    # …and its COMMIT is on the fund's ledger.
    main_nav(chair).get_by_role("link", name="Fonds et grand livre").click()
    chair.get_by_role("link", name="Bellevue").first.click()
    chair.get_by_role("link", name="Consulter le grand livre").click()
    entry = chair.locator("table.ledger tbody tr", has_text=reference)
    expect(entry).to_contain_text("Engagement")
    expect(entry).to_contain_text(amount)
    snap(chair, "grand-livre")
    defects.assert_none()


# Administrator -------------------------------------------------------------------------


def test_administrator_journey(demo, page, snap, defects):
    log_in(page, ADMINISTRATOR, "/cms/", password=DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/cms/$"))
    snap(page, "tableau-de-bord")

    # Settings → the commune's identity: a darker primary colour.
    page.get_by_role("button", name="Paramètres").click()
    page.get_by_role("link", name="Identité de la commune").click()
    page.get_by_label("Couleur principale").fill("#5a2d82")
    snap(page, "identite")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".messages")).to_contain_text("mis à jour")

    page.goto("/")
    assert "--color-primary: #5a2d82" in page.locator("head style").all_inner_texts()[-1]
    colour = page.evaluate(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--color-primary')"
    )
    assert colour.strip() == "#5a2d82"
    snap(page, "couleur")

    # A news page under « Actualités », written and published in the page editor.
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("button", name="Pages").click()
    explorer = page.get_by_role("dialog", name="Explorateur")
    explorer.get_by_role("link", name=re.compile("^Voir les sous-pages de")).first.click()
    explorer.get_by_role("link", name="Actualités", exact=True).click()
    page.get_by_role("link", name="Ajouter une sous-page").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Actualité")
    page.get_by_role("textbox", name=re.compile("^Titre")).first.fill(NEWS_TITLE)
    page.get_by_role("textbox", name="Chapeau", exact=True).fill(NEWS_INTRO)
    # Wagtail's editor finishes in the browser: the slug written from the title, the
    # body's blocks drawn by its script. Publishing before then is refused (« erreurs de
    # validation »), which happened on a loaded machine.
    expect(page.locator("#id_slug")).to_have_value(re.compile(r"\S"))
    expect(page.locator(".c-sf-add-button").first).to_be_attached()
    snap(page, "actualite")
    page.get_by_role("button", name="Plus d'actions").click()
    page.get_by_role("button", name="Publier").click()
    expect(page.locator(".messages")).to_contain_text("publiée")

    page.goto("/actualites/")
    expect(page.get_by_role("link", name=NEWS_TITLE)).to_be_visible()
    expect(page.locator("main")).to_contain_text(NEWS_INTRO)
    snap(page, "actualites")
    main_nav(page).get_by_role("link", name="Accueil").click()
    expect(page.get_by_role("link", name=NEWS_TITLE)).to_be_visible()
    expect(page.locator("main")).to_contain_text(NEWS_INTRO)
    snap(page, "accueil")
    defects.assert_none()
